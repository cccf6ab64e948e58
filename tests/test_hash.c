/*
 * test_hash.c — tests for ogawa/hash.c.
 *
 * Checks every test vector of ogawa-format.md §2.4 (Spooky, ShortEnd,
 * Murmur3), that streaming Spooky equals one-shot Spooky for every length
 * 0..600 at many split points (short path < 192 bytes, long path, updates
 * straddling the 96- and 192-byte boundaries), that a final does not
 * disturb the state (§2.4: the writer takes intermediate finals), FNV-1a
 * 64 known values, and the digest byte order (w0 LE then w1 LE).  Inputs
 * are also hashed from odd addresses so UBSan sees unaligned loads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hash.h"

/* Render a digest as the 32 hex characters of its file bytes. */
static void
digest_hex(ogawa_digest d, char out[33])
{
    uint8_t b[16];

    ogawa_digest_to_bytes(d, b);
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void
assert_digest_hex(ogawa_digest d, const char *want)
{
    char got[33];

    digest_hex(d, got);
    assert_string_equal(got, want);
}

/* Deterministic test bytes, so failures reproduce. */
static void
fill_pattern(uint8_t *buf, size_t len, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;

    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
}

static void
assert_digest_equal(ogawa_digest a, ogawa_digest b)
{
    assert_int_equal(a.w0, b.w0);
    assert_int_equal(a.w1, b.w1);
}

/* ---- §2.4 vectors ------------------------------------------------------- */

static const char fox[] = "The quick brown fox jumps over the lazy dog";

static void
test_ogawa_spooky_vectors(void **state)
{
    uint8_t buf[1000];

    (void)state;
    assert_digest_hex(ogawa_spooky("", 0), "1909f56bfc062723c751e8b465ee728b");
    assert_digest_hex(ogawa_spooky(NULL, 0), "1909f56bfc062723c751e8b465ee728b");
    assert_digest_hex(ogawa_spooky("a", 1), "bdc9bba09181101a922a4161f0584275");
    assert_digest_hex(ogawa_spooky("abc", 3), "67c93775f715ab8ab01178caf86713c6");
    assert_digest_hex(ogawa_spooky(fox, strlen(fox)), "c79306aa46e8122b1b340724747e361d");
    memset(buf, 'x', 200);
    assert_digest_hex(ogawa_spooky(buf, 200), "3deec48f4c606c6f8693776b18bde7dc");
    memset(buf, 'y', 1000);
    assert_digest_hex(ogawa_spooky(buf, 1000), "33d9164ae22ecd925e9402b954dd3fdb");
}

static void
test_ogawa_spooky_short_end_vector(void **state)
{
    (void)state;
    assert_digest_hex(ogawa_spooky_short_end(1, 2, 3, 4), "fe2e6b4ccec65bd06314af59e2ff1686");
}

static void
test_ogawa_murmur3_vectors(void **state)
{
    const uint8_t i32_7[4] = { 7, 0, 0, 0 };
    const float f3[3] = { 1.0f, 2.0f, 3.0f };
    ogawa_digest z;

    (void)state;
    z = ogawa_murmur3(NULL, 0);
    assert_int_equal(z.w0, 0);
    assert_int_equal(z.w1, 0);
    assert_digest_hex(ogawa_murmur3("", 0), "00000000000000000000000000000000");
    assert_digest_hex(ogawa_murmur3("a", 1), "897859f6655555855a890e51483ab5e6");
    assert_digest_hex(ogawa_murmur3("abc", 3), "6778ad3f3f3f96b4522dca264174a23b");
    assert_digest_hex(ogawa_murmur3(fox, strlen(fox)), "6c1b07bc7bbc4be347939ac4a93c437a");
    assert_digest_hex(ogawa_murmur3(i32_7, 4), "fb1d467eb669277fa55b582f5c2215d2");
    assert_digest_hex(ogawa_murmur3("hello", 6), "33b1866bbbd44a087b49409c7aea02d4");
    /* §2.4 gives the little-endian IEEE bytes of [1, 2, 3]. */
    assert_digest_hex(ogawa_murmur3(f3, sizeof f3), "573049c7fe2a734f94fd4c583b44e7d3");
}

/* The vectors must not depend on the input's alignment. */
static void
test_ogawa_hash_unaligned_input(void **state)
{
    uint8_t raw[1 + 8 + 1000];

    (void)state;
    for (size_t off = 1; off < 8; off++) {
        uint8_t *p = raw + off;

        memcpy(p, fox, strlen(fox));
        assert_digest_hex(ogawa_murmur3(p, strlen(fox)), "6c1b07bc7bbc4be347939ac4a93c437a");
        assert_digest_hex(ogawa_spooky(p, strlen(fox)), "c79306aa46e8122b1b340724747e361d");
        memset(p, 'y', 1000);
        assert_digest_hex(ogawa_spooky(p, 1000), "33d9164ae22ecd925e9402b954dd3fdb");
    }
}

/* ---- Spooky streaming --------------------------------------------------- */

#define STREAM_MAX 600

/* Two updates split at every point, for every length 0..600: covers the
 * short path (< 192), the long path, and splits on either side of the
 * 96- and 192-byte boundaries.  The second chunk starts at an odd address
 * whenever the split is odd. */
static void
test_ogawa_spooky_update_two_parts_equals_one_shot(void **state)
{
    static uint8_t msg[STREAM_MAX];

    (void)state;
    fill_pattern(msg, sizeof msg, 1);
    for (size_t len = 0; len <= STREAM_MAX; len++) {
        ogawa_digest want = ogawa_spooky(msg, len);

        for (size_t cut = 0; cut <= len; cut++) {
            ogawa_spooky_state s;

            ogawa_spooky_init(&s);
            ogawa_spooky_update(&s, msg, cut);
            ogawa_spooky_update(&s, msg + cut, len - cut);
            assert_digest_equal(ogawa_spooky_final(&s), want);
        }
    }
}

/* Many small and mixed-size updates, so the buffer fills to every level
 * (including 96..191 buffered bytes after the long path has started). */
static void
test_ogawa_spooky_update_many_chunks_equals_one_shot(void **state)
{
    static uint8_t msg[STREAM_MAX];
    static const size_t steps[] = { 1, 3, 7, 15, 16, 17, 31, 32, 33, 95, 96, 97, 191, 192, 193 };

    (void)state;
    fill_pattern(msg, sizeof msg, 2);
    for (size_t len = 0; len <= STREAM_MAX; len++) {
        ogawa_digest want = ogawa_spooky(msg, len);

        for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
            ogawa_spooky_state s;
            size_t done = 0;

            ogawa_spooky_init(&s);
            while (done < len) {
                size_t n = steps[k];

                if (n > len - done)
                    n = len - done;
                ogawa_spooky_update(&s, msg + done, n);
                done += n;
            }
            assert_digest_equal(ogawa_spooky_final(&s), want);
        }

        /* Varying chunk sizes from a pseudo-random sequence. */
        for (uint32_t seed = 0; seed < 4; seed++) {
            ogawa_spooky_state s;
            size_t done = 0;
            uint32_t x = seed * 7919u + 13;

            ogawa_spooky_init(&s);
            while (done < len) {
                size_t n;

                x = x * 1103515245u + 12345u;
                n = (x >> 16) % 211;        /* includes zero-length updates */
                if (n > len - done)
                    n = len - done;
                ogawa_spooky_update(&s, msg + done, n);
                done += n;
            }
            assert_digest_equal(ogawa_spooky_final(&s), want);
        }
    }
}

/* Final, then more updates, then final again: each final equals the
 * one-shot hash of everything fed so far (the writer relies on this). */
static void
test_ogawa_spooky_final_then_update_more(void **state)
{
    static uint8_t msg[STREAM_MAX];
    static const size_t cuts[] = { 0, 1, 15, 95, 96, 150, 191, 192, 193, 287, 288, 300, 480, 599 };

    (void)state;
    fill_pattern(msg, sizeof msg, 3);
    for (size_t a = 0; a < sizeof cuts / sizeof cuts[0]; a++) {
        ogawa_spooky_state s;
        size_t prev = 0;

        ogawa_spooky_init(&s);
        assert_digest_equal(ogawa_spooky_final(&s), ogawa_spooky(msg, 0));
        for (size_t b = a; b < sizeof cuts / sizeof cuts[0]; b++) {
            ogawa_spooky_state copy;

            ogawa_spooky_update(&s, msg + prev, cuts[b] - prev);
            prev = cuts[b];
            memcpy(&copy, &s, sizeof s);
            assert_digest_equal(ogawa_spooky_final(&s), ogawa_spooky(msg, prev));
            /* Two finals in a row agree and leave the state untouched. */
            assert_digest_equal(ogawa_spooky_final(&s), ogawa_spooky(msg, prev));
            assert_memory_equal(&copy, &s, sizeof s);
        }
        ogawa_spooky_update(&s, msg + prev, STREAM_MAX - prev);
        assert_digest_equal(ogawa_spooky_final(&s), ogawa_spooky(msg, STREAM_MAX));
    }
}

/* A long stream (several KiB in uneven pieces) against one-shot. */
static void
test_ogawa_spooky_update_long_stream(void **state)
{
    enum { N = 70000 };
    uint8_t *msg = malloc(N);
    ogawa_spooky_state s;
    size_t done = 0, n = 1;

    (void)state;
    assert_non_null(msg);
    fill_pattern(msg, N, 4);
    ogawa_spooky_init(&s);
    while (done < N) {
        if (n > N - done)
            n = N - done;
        ogawa_spooky_update(&s, msg + done, n);
        done += n;
        n = n * 3 % 1001 + 1;
    }
    assert_digest_equal(ogawa_spooky_final(&s), ogawa_spooky(msg, N));
    free(msg);
}

/* ---- FNV-1a 64 ---------------------------------------------------------- */

static void
test_ogawa_fnv1a64_vectors(void **state)
{
    (void)state;
    assert_int_equal(ogawa_fnv1a64("", 0), 0xcbf29ce484222325ULL);
    assert_int_equal(ogawa_fnv1a64(NULL, 0), OGAWA_FNV1A64_INIT);
    assert_int_equal(ogawa_fnv1a64("a", 1), 0xaf63dc4c8601ec8cULL);
    assert_int_equal(ogawa_fnv1a64("foobar", 6), 0x85944171f73967e8ULL);
}

static void
test_ogawa_fnv1a64_update_continues(void **state)
{
    uint64_t h;

    (void)state;
    h = ogawa_fnv1a64_update(OGAWA_FNV1A64_INIT, "foo", 3);
    h = ogawa_fnv1a64_update(h, "", 0);
    h = ogawa_fnv1a64_update(h, "bar", 3);
    assert_int_equal(h, ogawa_fnv1a64("foobar", 6));
}

/* ---- digest bytes ------------------------------------------------------- */

static void
test_ogawa_digest_byte_order(void **state)
{
    const ogawa_digest d = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
    uint8_t b[16];
    ogawa_digest back;

    (void)state;
    ogawa_digest_to_bytes(d, b);
    for (int i = 0; i < 16; i++)
        assert_int_equal(b[i], i);
    back = ogawa_digest_from_bytes(b);
    assert_digest_equal(back, d);
}

static void
test_ogawa_digest_from_bytes_unaligned(void **state)
{
    uint8_t raw[17];
    ogawa_digest d;

    (void)state;
    for (int i = 0; i < 17; i++)
        raw[i] = (uint8_t)(0xa0 + i);
    d = ogawa_digest_from_bytes(raw + 1);
    assert_int_equal(d.w0, 0xa8a7a6a5a4a3a2a1ULL);
    assert_int_equal(d.w1, 0xb0afaeadacabaaa9ULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ogawa_spooky_vectors),
        cmocka_unit_test(test_ogawa_spooky_short_end_vector),
        cmocka_unit_test(test_ogawa_murmur3_vectors),
        cmocka_unit_test(test_ogawa_hash_unaligned_input),
        cmocka_unit_test(test_ogawa_spooky_update_two_parts_equals_one_shot),
        cmocka_unit_test(test_ogawa_spooky_update_many_chunks_equals_one_shot),
        cmocka_unit_test(test_ogawa_spooky_final_then_update_more),
        cmocka_unit_test(test_ogawa_spooky_update_long_stream),
        cmocka_unit_test(test_ogawa_fnv1a64_vectors),
        cmocka_unit_test(test_ogawa_fnv1a64_update_continues),
        cmocka_unit_test(test_ogawa_digest_byte_order),
        cmocka_unit_test(test_ogawa_digest_from_bytes_unaligned),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
