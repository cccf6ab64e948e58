/*
 * hash.c — MurmurHash3_x64_128, SpookyHash V2 and FNV-1a 64 for libogawa.
 *
 * Alembic keys every stored sample by MurmurHash3_x64_128 with seed 0
 * (ogawa-format.md §2.4, §6.1) and builds its property and object hashes
 * from SpookyHash V2 with seeds (0, 0) (§2.4, §6.3–§6.6); Spooky's ShortEnd
 * is also used on its own to chain per-property sample digests (§6.2).
 * FNV-1a 64 is not part of the file format: layout.md and dump-format.md
 * use it to name over-long entries and to digest long arrays.
 *
 * Both 128-bit hashes are written from the public algorithm descriptions
 * (Austin Appleby's MurmurHash3, Bob Jenkins' SpookyV2) and checked against
 * the test vectors of §2.4.  Every multi-byte load goes through memcpy and
 * an explicit little-endian conversion: archive payloads sit at arbitrary
 * offsets in the map, and the reference code's casts of byte pointers to
 * uint64_t * would be undefined behaviour (UBSan flags them) and would give
 * different hashes on a big-endian host.  The alternative of copying the
 * input into an aligned buffer first was rejected: it costs a second pass
 * over multi-megabyte samples for nothing, as memcpy loads compile to
 * plain unaligned moves on the hosts we build for.
 *
 * The streaming Spooky state is caller-allocated (hash.h) and
 * ogawa_spooky_final works on copies, so a final may be followed by more
 * updates — the C++ writer takes intermediate finals that way.  All
 * functions are pure; there is no global state.
 */
#include "hash.h"

#include <string.h>

/* ---- little-endian loads and stores ---------------------------------- */

static inline uint64_t
ogawa_hash_le64(uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap64(v);
#else
    return v;
#endif
}

/* Read 8 bytes at any alignment as a little-endian word. */
static inline uint64_t
ogawa_hash_load64(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof v);
    return ogawa_hash_le64(v);
}

/* Read 0..8 bytes as a little-endian word, missing high bytes zero.  Both
 * hashes' tail handling ("bytes 0..r-1 as a LE integer") reduces to this. */
static inline uint64_t
ogawa_hash_load_partial(const uint8_t *p, size_t len)
{
    uint8_t buf[8] = { 0 };

    memcpy(buf, p, len);
    return ogawa_hash_load64(buf);
}

static inline void
ogawa_hash_store64(uint8_t *p, uint64_t v)
{
    v = ogawa_hash_le64(v);
    memcpy(p, &v, sizeof v);
}

static inline uint64_t
ogawa_hash_rot64(uint64_t x, unsigned k)
{
    /* k is always a constant in 1..63 here, so neither shift is by 64. */
    return (x << k) | (x >> (64 - k));
}

/* ---- MurmurHash3_x64_128, seed 0 (ogawa-format.md §2.4) --------------- */

#define OGAWA_MURMUR3_C1 0x87c37b91114253d5ULL
#define OGAWA_MURMUR3_C2 0x4cf5ad432745937fULL

static inline uint64_t
ogawa_murmur3_fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

static inline uint64_t
ogawa_murmur3_mix_k1(uint64_t k1)
{
    k1 *= OGAWA_MURMUR3_C1;
    k1 = ogawa_hash_rot64(k1, 31);
    return k1 * OGAWA_MURMUR3_C2;
}

static inline uint64_t
ogawa_murmur3_mix_k2(uint64_t k2)
{
    k2 *= OGAWA_MURMUR3_C2;
    k2 = ogawa_hash_rot64(k2, 33);
    return k2 * OGAWA_MURMUR3_C1;
}

/* See hash.h. */
ogawa_digest
ogawa_murmur3(const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t n_blocks = len / 16;
    size_t tail = len % 16;
    uint64_t h1 = 0, h2 = 0;    /* seed 0 */
    ogawa_digest d;

    for (size_t i = 0; i < n_blocks; i++, p += 16) {
        uint64_t k1 = ogawa_hash_load64(p);
        uint64_t k2 = ogawa_hash_load64(p + 8);

        h1 ^= ogawa_murmur3_mix_k1(k1);
        h1 = ogawa_hash_rot64(h1, 27);
        h1 += h2;
        h1 = h1 * 5 + 0x52dce729;

        h2 ^= ogawa_murmur3_mix_k2(k2);
        h2 = ogawa_hash_rot64(h2, 31);
        h2 += h1;
        h2 = h2 * 5 + 0x38495ab5;
    }

    /* The reference switch mixes k2 only when more than 8 tail bytes exist
     * and k1 only when any do; mixing a zero word is a no-op (0 * c = 0),
     * so a zero-padded load of both halves gives the same result. */
    if (tail > 8)
        h2 ^= ogawa_murmur3_mix_k2(ogawa_hash_load_partial(p + 8, tail - 8));
    if (tail > 0)
        h1 ^= ogawa_murmur3_mix_k1(ogawa_hash_load_partial(p, tail > 8 ? 8 : tail));

    h1 ^= (uint64_t)len;
    h2 ^= (uint64_t)len;
    h1 += h2;
    h2 += h1;
    h1 = ogawa_murmur3_fmix64(h1);
    h2 = ogawa_murmur3_fmix64(h2);
    h1 += h2;
    h2 += h1;

    d.w0 = h1;
    d.w1 = h2;
    return d;
}

/* ---- SpookyHash V2 (ogawa-format.md §2.4) ----------------------------- */

#define OGAWA_SPOOKY_CONST      0xdeadbeefdeadbeefULL
#define OGAWA_SPOOKY_NUM_VARS   12                          /* state words */
#define OGAWA_SPOOKY_BLOCK      (OGAWA_SPOOKY_NUM_VARS * 8) /* 96 bytes */
#define OGAWA_SPOOKY_BUF        (2 * OGAWA_SPOOKY_BLOCK)    /* 192 bytes */

_Static_assert(sizeof(((ogawa_spooky_state *)0)->data) == OGAWA_SPOOKY_BUF,
               "ogawa_spooky.data must hold two 96-byte blocks");
_Static_assert(OGAWA_SPOOKY_BUF <= UINT8_MAX,
               "ogawa_spooky.remainder is a uint8_t");

/* One step of ShortMix (§2.4): rotate x, add the next word, xor into the
 * word after that.  The mixers below spell every step out with literal
 * indices: as loops over h[(x + k) % 4], GCC kept the words in memory and
 * a 64-byte hash took ~110 ns instead of ~20 ns. */
#define OGAWA_SPOOKY_SM(h, x, r)                                          \
    do {                                                                  \
        h[x] = ogawa_hash_rot64(h[x], r);                                 \
        h[x] += h[((x) + 1) & 3];                                         \
        h[((x) + 2) & 3] ^= h[x];                                         \
    } while (0)

/* ShortMix (§2.4): twelve steps, rotations 50 52 30 41 54 48 38 37 62 34
 * 5 36, starting at word 2. */
static inline void
ogawa_spooky_short_mix(uint64_t h[4])
{
    OGAWA_SPOOKY_SM(h, 2, 50);
    OGAWA_SPOOKY_SM(h, 3, 52);
    OGAWA_SPOOKY_SM(h, 0, 30);
    OGAWA_SPOOKY_SM(h, 1, 41);
    OGAWA_SPOOKY_SM(h, 2, 54);
    OGAWA_SPOOKY_SM(h, 3, 48);
    OGAWA_SPOOKY_SM(h, 0, 38);
    OGAWA_SPOOKY_SM(h, 1, 37);
    OGAWA_SPOOKY_SM(h, 2, 62);
    OGAWA_SPOOKY_SM(h, 3, 34);
    OGAWA_SPOOKY_SM(h, 0, 5);
    OGAWA_SPOOKY_SM(h, 1, 36);
}

/* One step of ShortEnd (§2.4): h[x] ^= h[y]; rotate y; h[x] += h[y]. */
#define OGAWA_SPOOKY_SE(h, x, y, r)                                       \
    do {                                                                  \
        h[x] ^= h[y];                                                     \
        h[y] = ogawa_hash_rot64(h[y], r);                                 \
        h[x] += h[y];                                                     \
    } while (0)

/* ShortEnd (§2.4): eleven steps, rotations 15 52 26 51 28 9 47 54 32 25
 * 63, with (x, y) starting at (3, 2). */
static inline void
ogawa_spooky_short_end_mix(uint64_t h[4])
{
    OGAWA_SPOOKY_SE(h, 3, 2, 15);
    OGAWA_SPOOKY_SE(h, 0, 3, 52);
    OGAWA_SPOOKY_SE(h, 1, 0, 26);
    OGAWA_SPOOKY_SE(h, 2, 1, 51);
    OGAWA_SPOOKY_SE(h, 3, 2, 28);
    OGAWA_SPOOKY_SE(h, 0, 3, 9);
    OGAWA_SPOOKY_SE(h, 1, 0, 47);
    OGAWA_SPOOKY_SE(h, 2, 1, 54);
    OGAWA_SPOOKY_SE(h, 3, 2, 32);
    OGAWA_SPOOKY_SE(h, 0, 3, 25);
    OGAWA_SPOOKY_SE(h, 1, 0, 63);
}

/* The short path for messages under 192 bytes, with the given seeds. */
static ogawa_digest
ogawa_spooky_short(const uint8_t *p, size_t len, uint64_t seed1, uint64_t seed2)
{
    uint64_t h[4] = { seed1, seed2, OGAWA_SPOOKY_CONST, OGAWA_SPOOKY_CONST };
    size_t rem = len;
    ogawa_digest d;

    if (len > 15) {
        for (; rem >= 32; rem -= 32, p += 32) {
            h[2] += ogawa_hash_load64(p);
            h[3] += ogawa_hash_load64(p + 8);
            ogawa_spooky_short_mix(h);
            h[0] += ogawa_hash_load64(p + 16);
            h[1] += ogawa_hash_load64(p + 24);
        }
        if (rem >= 16) {
            h[2] += ogawa_hash_load64(p);
            h[3] += ogawa_hash_load64(p + 8);
            ogawa_spooky_short_mix(h);
            p += 16;
            rem -= 16;
        }
    }

    h[3] += (uint64_t)len << 56;
    if (rem == 0) {
        h[2] += OGAWA_SPOOKY_CONST;
        h[3] += OGAWA_SPOOKY_CONST;
    } else {
        /* The reference's fall-through switch adds bytes 0..7 to c and
         * bytes 8..rem-1 to d, each as a zero-extended LE integer. */
        h[2] += ogawa_hash_load_partial(p, rem > 8 ? 8 : rem);
        if (rem > 8)
            h[3] += ogawa_hash_load_partial(p + 8, rem - 8);
    }
    ogawa_spooky_short_end_mix(h);

    d.w0 = h[0];
    d.w1 = h[1];
    return d;
}

/* One step of Mix (§2.4) for word i of the block at blk. */
#define OGAWA_SPOOKY_MIX(s, blk, i, r)                                    \
    do {                                                                  \
        s[i] += ogawa_hash_load64((blk) + 8 * (i));                       \
        s[((i) + 2) % 12] ^= s[((i) + 10) % 12];                          \
        s[((i) + 11) % 12] ^= s[i];                                       \
        s[i] = ogawa_hash_rot64(s[i], r);                                 \
        s[((i) + 11) % 12] += s[((i) + 1) % 12];                          \
    } while (0)

/* Mix (§2.4): absorb one 96-byte block into the 12-word state; rotations
 * 11 32 43 31 17 28 39 57 55 54 22 46. */
static inline void
ogawa_spooky_mix(const uint8_t *blk, uint64_t s[12])
{
    OGAWA_SPOOKY_MIX(s, blk, 0, 11);
    OGAWA_SPOOKY_MIX(s, blk, 1, 32);
    OGAWA_SPOOKY_MIX(s, blk, 2, 43);
    OGAWA_SPOOKY_MIX(s, blk, 3, 31);
    OGAWA_SPOOKY_MIX(s, blk, 4, 17);
    OGAWA_SPOOKY_MIX(s, blk, 5, 28);
    OGAWA_SPOOKY_MIX(s, blk, 6, 39);
    OGAWA_SPOOKY_MIX(s, blk, 7, 57);
    OGAWA_SPOOKY_MIX(s, blk, 8, 55);
    OGAWA_SPOOKY_MIX(s, blk, 9, 54);
    OGAWA_SPOOKY_MIX(s, blk, 10, 22);
    OGAWA_SPOOKY_MIX(s, blk, 11, 46);
}

/* One step of EndPartial (§2.4), literal indices as for Mix. */
#define OGAWA_SPOOKY_EP(h, i, r)                                          \
    do {                                                                  \
        h[((i) + 11) % 12] += h[((i) + 1) % 12];                          \
        h[((i) + 2) % 12] ^= h[((i) + 11) % 12];                          \
        h[((i) + 1) % 12] = ogawa_hash_rot64(h[((i) + 1) % 12], r);       \
    } while (0)

/* EndPartial (§2.4), one round: rotations 44 15 34 21 38 33 10 13 38 53
 * 42 54. */
static inline void
ogawa_spooky_end_partial(uint64_t h[12])
{
    OGAWA_SPOOKY_EP(h, 0, 44);
    OGAWA_SPOOKY_EP(h, 1, 15);
    OGAWA_SPOOKY_EP(h, 2, 34);
    OGAWA_SPOOKY_EP(h, 3, 21);
    OGAWA_SPOOKY_EP(h, 4, 38);
    OGAWA_SPOOKY_EP(h, 5, 33);
    OGAWA_SPOOKY_EP(h, 6, 10);
    OGAWA_SPOOKY_EP(h, 7, 13);
    OGAWA_SPOOKY_EP(h, 8, 38);
    OGAWA_SPOOKY_EP(h, 9, 53);
    OGAWA_SPOOKY_EP(h, 10, 42);
    OGAWA_SPOOKY_EP(h, 11, 54);
}

/* End (§2.4): add the final (zero-padded, length-tagged) block, then three
 * rounds of EndPartial. */
static void
ogawa_spooky_end(const uint8_t *blk, uint64_t h[12])
{
    for (unsigned i = 0; i < 12; i++)
        h[i] += ogawa_hash_load64(blk + 8 * i);
    ogawa_spooky_end_partial(h);
    ogawa_spooky_end_partial(h);
    ogawa_spooky_end_partial(h);
}

/* Long-path state before any block: (seed1, seed2, K) four times. */
static void
ogawa_spooky_long_init(uint64_t h[12], uint64_t seed1, uint64_t seed2)
{
    for (unsigned i = 0; i < 12; i += 3) {
        h[i] = seed1;
        h[i + 1] = seed2;
        h[i + 2] = OGAWA_SPOOKY_CONST;
    }
}

/* Finish the long path: rem (0..95) bytes at p are the last partial block.
 * The block is zero-padded and its last byte carries rem, so messages that
 * differ only in trailing zeros still hash differently. */
static ogawa_digest
ogawa_spooky_long_finish(uint64_t h[12], const uint8_t *p, size_t rem)
{
    uint8_t blk[OGAWA_SPOOKY_BLOCK] = { 0 };
    ogawa_digest d;

    memcpy(blk, p, rem);
    blk[OGAWA_SPOOKY_BLOCK - 1] = (uint8_t)rem;
    ogawa_spooky_end(blk, h);
    d.w0 = h[0];
    d.w1 = h[1];
    return d;
}

/* See hash.h. */
ogawa_digest
ogawa_spooky(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t h[12];

    if (len < OGAWA_SPOOKY_BUF)
        return ogawa_spooky_short(p, len, 0, 0);

    ogawa_spooky_long_init(h, 0, 0);
    for (; len >= OGAWA_SPOOKY_BLOCK; len -= OGAWA_SPOOKY_BLOCK, p += OGAWA_SPOOKY_BLOCK)
        ogawa_spooky_mix(p, h);
    return ogawa_spooky_long_finish(h, p, len);
}

/* See hash.h. */
ogawa_digest
ogawa_spooky_short_end(uint64_t h0, uint64_t h1, uint64_t h2, uint64_t h3)
{
    uint64_t h[4] = { h0, h1, h2, h3 };
    ogawa_digest d;

    ogawa_spooky_short_end_mix(h);
    d.w0 = h[0];
    d.w1 = h[1];
    return d;
}

/*
 * Streaming.  The state follows the reference SpookyHash class, so the
 * result equals one-shot hashing of the concatenation for any split:
 *
 *   length < 192: nothing has been mixed; all bytes sit in data[] and
 *                 state[0..1] hold the seeds.  Final runs the short path.
 *   length >= 192: state[] is the long-path state after whole blocks; the
 *                 last `remainder` bytes (0..191) wait in data[].
 *
 * Update keeps up to 191 bytes buffered rather than 95: once the buffer
 * reaches 192 it mixes both halves, which is how the reference decides
 * between the short and the long path without knowing the total length.
 */

/* See hash.h. */
void
ogawa_spooky_init(ogawa_spooky_state *s)
{
    memset(s, 0, sizeof *s);    /* seeds (0, 0) in state[0..1] */
}

/* See hash.h. */
void
ogawa_spooky_update(ogawa_spooky_state *s, const void *data, size_t len)
{
    uint8_t *buf = (uint8_t *)s->data;
    const uint8_t *p = data;
    size_t new_len = len + s->remainder;
    uint64_t h[12];

    if (len == 0)
        return;     /* also keeps memcpy away from a NULL data pointer */

    if (new_len < OGAWA_SPOOKY_BUF) {
        memcpy(buf + s->remainder, p, len);
        s->length += len;
        s->remainder = (uint8_t)new_len;
        return;
    }

    if (s->length < OGAWA_SPOOKY_BUF)
        ogawa_spooky_long_init(h, s->state[0], s->state[1]);
    else
        memcpy(h, s->state, sizeof h);
    s->length += len;

    if (s->remainder) {
        size_t prefix = OGAWA_SPOOKY_BUF - s->remainder;

        memcpy(buf + s->remainder, p, prefix);
        ogawa_spooky_mix(buf, h);
        ogawa_spooky_mix(buf + OGAWA_SPOOKY_BLOCK, h);
        p += prefix;
        len -= prefix;
    }

    for (; len >= OGAWA_SPOOKY_BLOCK; len -= OGAWA_SPOOKY_BLOCK, p += OGAWA_SPOOKY_BLOCK)
        ogawa_spooky_mix(p, h);

    memcpy(buf, p, len);
    s->remainder = (uint8_t)len;
    memcpy(s->state, h, sizeof h);
}

/* See hash.h.  Works on copies (the reference pads its own buffer in
 * place), so the state stays usable for more updates. */
ogawa_digest
ogawa_spooky_final(const ogawa_spooky_state *s)
{
    const uint8_t *buf = (const uint8_t *)s->data;
    size_t rem = s->remainder;
    uint64_t h[12];

    if (s->length < OGAWA_SPOOKY_BUF)
        return ogawa_spooky_short(buf, s->length, s->state[0], s->state[1]);

    memcpy(h, s->state, sizeof h);
    if (rem >= OGAWA_SPOOKY_BLOCK) {
        /* Short updates after a long one can leave a whole block plus a
         * partial one buffered; one-shot would have mixed the whole one. */
        ogawa_spooky_mix(buf, h);
        buf += OGAWA_SPOOKY_BLOCK;
        rem -= OGAWA_SPOOKY_BLOCK;
    }
    return ogawa_spooky_long_finish(h, buf, rem);
}

/* ---- FNV-1a 64 (layout.md, dump-format.md) ---------------------------- */

/* See hash.h. */
uint64_t
ogawa_fnv1a64_update(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;

    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* See hash.h. */
uint64_t
ogawa_fnv1a64(const void *data, size_t len)
{
    return ogawa_fnv1a64_update(OGAWA_FNV1A64_INIT, data, len);
}

/* ---- digest bytes (ogawa-format.md §2.4, Util/Digest.h) --------------- */

/* See hash.h. */
void
ogawa_digest_to_bytes(ogawa_digest d, uint8_t out[16])
{
    ogawa_hash_store64(out, d.w0);
    ogawa_hash_store64(out + 8, d.w1);
}

/* See hash.h. */
ogawa_digest
ogawa_digest_from_bytes(const uint8_t in[16])
{
    ogawa_digest d;

    d.w0 = ogawa_hash_load64(in);
    d.w1 = ogawa_hash_load64(in + 8);
    return d;
}
