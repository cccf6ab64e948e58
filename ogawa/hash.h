/*
 * hash.h — the hash functions of the Alembic Ogawa format.
 *
 * ogawa-format.md §2.4: MurmurHash3_x64_128 (seed 0) keys every stored
 * sample; SpookyHash V2 (seeds 0, 0) hashes property headers and objects;
 * Spooky's ShortEnd alone chains per-property sample hashes (§6.2).
 * layout.md / dump-format.md: FNV-1a 64 names long entries and digests
 * long arrays.
 *
 * A 128-bit digest is two u64 words (w0, w1); in a file it is w0 LE then
 * w1 LE (ogawa_digest_to_bytes).  All functions are pure and thread-safe.
 *
 * Internal to this project (libogawa, the filesystem, tools, tests): not
 * installed with the public headers.
 */
#ifndef OGAWA_HASH_H
#define OGAWA_HASH_H

#include <stddef.h>
#include <stdint.h>

typedef struct ogawa_digest {
    uint64_t w0;    /* first word, stored little-endian first */
    uint64_t w1;    /* second word */
} ogawa_digest;

/* MurmurHash3_x64_128 of len bytes, seed 0.  len 0 gives (0, 0). */
ogawa_digest ogawa_murmur3(const void *data, size_t len);

/* SpookyHash V2 streaming state (seeds 0, 0).  Caller-allocated:
 * ogawa_spooky_init, any number of ogawa_spooky_update, then
 * ogawa_spooky_final, which does not disturb the state (more updates and
 * finals may follow, as the C++ writer relies on).
 * The typedef is ogawa_spooky_state, not ogawa_spooky: C puts typedef and
 * function names in one namespace, and ogawa_spooky is the one-shot
 * function below.  `struct ogawa_spooky` works too. */
typedef struct ogawa_spooky {
    uint64_t data[24];      /* unhashed tail, up to 2 x 96 bytes */
    uint64_t state[12];     /* internal state of the long path */
    size_t length;          /* total bytes fed so far */
    uint8_t remainder;      /* bytes held in data[] */
} ogawa_spooky_state;

void ogawa_spooky_init(ogawa_spooky_state *s);
void ogawa_spooky_update(ogawa_spooky_state *s, const void *data, size_t len);
ogawa_digest ogawa_spooky_final(const ogawa_spooky_state *s);

/* One-shot SpookyHash V2 128, seeds (0, 0). */
ogawa_digest ogawa_spooky(const void *data, size_t len);

/* Spooky's ShortEnd as a 4-word mixer (§6.2): mixes (h0,h1,h2,h3) and
 * returns the new (h0, h1). */
ogawa_digest ogawa_spooky_short_end(uint64_t h0, uint64_t h1, uint64_t h2, uint64_t h3);

/* FNV-1a 64 (offset basis 0xcbf29ce484222325, prime 0x100000001b3);
 * ogawa_fnv1a64_update continues from a previous value. */
uint64_t ogawa_fnv1a64(const void *data, size_t len);
uint64_t ogawa_fnv1a64_update(uint64_t h, const void *data, size_t len);
#define OGAWA_FNV1A64_INIT 0xcbf29ce484222325ULL

/* The 16 file bytes of a digest: w0 LE then w1 LE. */
void ogawa_digest_to_bytes(ogawa_digest d, uint8_t out[16]);
ogawa_digest ogawa_digest_from_bytes(const uint8_t in[16]);

#endif
