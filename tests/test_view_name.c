/*
 * test_view_name.c — fs/view_name.c: escaping rules 1–5 of layout.md
 * "Names", sample file names, and the JSON strings of .info
 * (dump-format.md: invalid UTF-8 becomes U+FFFD).  No archive, no kernel.
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
#include "view.h"

static const char *const dir_reserved[] = {".info", NULL};

/* Escapes raw (len bytes) and checks the result is want. */
static void
check_escape(const char *raw, size_t len, const char *const *reserved, const char *want)
{
    size_t out_len;
    char *e = view_name_escape(raw, len, reserved, &out_len);
    assert_non_null(e);
    assert_string_equal(e, want);
    assert_int_equal(out_len, strlen(want));
    free(e);
}

static void
test_view_name_escape_rule1_bytes(void **state)
{
    (void)state;
    check_escape("plain", 5, NULL, "plain");
    check_escape("a/b", 3, NULL, "a%2Fb");
    check_escape("100%", 4, NULL, "100%25");
    check_escape("tab\there", 8, NULL, "tab%09here");
    check_escape("nul\0x", 5, NULL, "nul%00x");
    check_escape("del\x7f", 4, NULL, "del%7F");
    check_escape("\x1f", 1, NULL, "%1F");
    /* UTF-8 and other high bytes pass unchanged, as do spaces and dots. */
    check_escape("n\xc3\xa4me with spaces.v1", 20, NULL, "n\xc3\xa4me with spaces.v1");
    check_escape("\xff\xfe", 2, NULL, "\xff\xfe");
}

static void
test_view_name_escape_rule2_dots_and_empty(void **state)
{
    (void)state;
    check_escape(".", 1, NULL, "%2E");
    check_escape("..", 2, NULL, "%2E%2E");
    check_escape("...", 3, NULL, "...");
    check_escape("", 0, NULL, "%");
    check_escape(".geom", 5, NULL, ".geom");
}

static void
test_view_name_escape_rule3_reserved(void **state)
{
    (void)state;
    check_escape(".info", 5, dir_reserved, "%2Einfo");
    check_escape(".info", 5, NULL, ".info");
    check_escape(".infos", 6, dir_reserved, ".infos");
    static const char *const prop_reserved[] = {".info", ".times", NULL};
    check_escape(".times", 6, prop_reserved, "%2Etimes");
}

/* The expected rule 4 name: cut of the escaped name plus its hash. */
static char *
long_name(const char *escaped, size_t cut)
{
    char *want = malloc(cut + 18);
    assert_non_null(want);
    memcpy(want, escaped, cut);
    snprintf(want + cut, 18, "~%016llx",
             (unsigned long long)ogawa_fnv1a64(escaped, strlen(escaped)));
    return want;
}

static void
test_view_name_escape_rule4_long(void **state)
{
    (void)state;
    char raw[600];
    /* 255 bytes stay; 256 are cut. */
    memset(raw, 'a', sizeof raw);
    raw[255] = '\0';
    check_escape(raw, 255, NULL, raw);
    raw[255] = 'a';
    raw[256] = '\0';
    char *want = long_name(raw, 238);
    check_escape(raw, 256, NULL, want);
    assert_int_equal(strlen(want), 255);
    free(want);
    /* A two-byte character across byte 238 is cut whole. */
    memset(raw, 'a', 237);
    memcpy(raw + 237, "\xc3\xa9", 2);
    memset(raw + 239, 'b', 100);
    raw[339] = '\0';
    want = long_name(raw, 237);
    check_escape(raw, 339, NULL, want);
    free(want);
    /* A four-byte character starting at 236: cut back to 236. */
    memset(raw, 'a', 236);
    memcpy(raw + 236, "\xf0\x9f\x98\x80", 4);
    memset(raw + 240, 'c', 100);
    raw[340] = '\0';
    want = long_name(raw, 236);
    check_escape(raw, 340, NULL, want);
    free(want);
    /* The hash is of the escaped name: 100 slashes are 300 bytes. */
    char slashes[101], escaped[301];
    memset(slashes, '/', 100);
    for (int i = 0; i < 100; i++)
        memcpy(escaped + 3 * i, "%2F", 3);
    escaped[300] = '\0';
    want = long_name(escaped, 238);
    check_escape(slashes, 100, NULL, want);
    free(want);
}

static void
test_view_name_dedup_rule5(void **state)
{
    (void)state;
    struct view_names *s = view_names_new(4);
    assert_non_null(s);
    const char *in[] = {"a", "a", "a~2", "b", "a", "b~2", "b"};
    const char *want[] = {"a", "a~2", "a~2~2", "b", "a~3", "b~2", "b~3"};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        size_t len;
        char *f = view_names_add(s, in[i], strlen(in[i]), &len);
        assert_non_null(f);
        assert_string_equal(f, want[i]);
        assert_int_equal(len, strlen(want[i]));
        free(f);
    }
    assert_true(view_names_has(s, "a~3", 3));
    assert_false(view_names_has(s, "c", 1));
    assert_int_equal(view_names_try(s, "a", 1), 0);
    assert_int_equal(view_names_try(s, "c", 1), 1);
    assert_int_equal(view_names_try(s, "c", 1), 0);
    view_names_free(s);
}

static void
test_view_name_dedup_many(void **state)
{
    (void)state;
    /* Enough names to grow the set several times. */
    struct view_names *s = view_names_new(0);
    char name[32];
    for (int i = 0; i < 5000; i++) {
        int k = snprintf(name, sizeof name, "n%d", i % 2500);
        char *f = view_names_add(s, name, (size_t)k, NULL);
        assert_non_null(f);
        if (i >= 2500) {
            char want[40];
            snprintf(want, sizeof want, "n%d~2", i % 2500);
            assert_string_equal(f, want);
        }
        free(f);
    }
    view_names_free(s);
}

/* Probes to add n copies of one name. */
static uint64_t
twin_probes(int n)
{
    struct view_names *s = view_names_new(0);
    assert_non_null(s);
    for (int i = 0; i < n; i++) {
        size_t len;
        char *f = view_names_add(s, "twin", 4, &len);
        assert_non_null(f);
        if (i == n - 1) {
            char want[40];
            snprintf(want, sizeof want, "twin~%d", n);
            assert_string_equal(f, want);
        }
        free(f);
    }
    uint64_t p = view_names_probes(s);
    view_names_free(s);
    return p;
}

static void
test_view_name_rule5_linear(void **state)
{
    (void)state;
    /* n siblings of one name: each ~k must not try 2..k again. */
    uint64_t small = twin_probes(5000), large = twin_probes(20000);
    assert_true(small > 0);
    assert_true(large <= 6 * small);
}

/* Rule 5 by its definition: the first free name of e, e~2, e~3, ... in a
 * plain list of the names used so far. */
static char *
rule5_naive(char **used, size_t n_used, const char *e)
{
    char cand[64];
    snprintf(cand, sizeof cand, "%s", e);
    for (unsigned k = 2;; k++) {
        bool taken = false;
        for (size_t i = 0; i < n_used && !taken; i++)
            taken = strcmp(used[i], cand) == 0;
        if (!taken)
            return strdup(cand);
        snprintf(cand, sizeof cand, "%s~%u", e, k);
    }
}

static void
test_view_name_rule5_matches_definition(void **state)
{
    (void)state;
    /* Names chosen to collide with each other's suffixed forms, and some
     * added as is (promoted links) between them. */
    static const char *const pool[] = {"a", "a~2", "a~3", "a~2~2", "b", "a~4", "b~2", "a~10"};
    char *used[4000];
    size_t n_used = 0;
    unsigned seed = 12345;
    struct view_names *s = view_names_new(0);
    assert_non_null(s);
    for (int i = 0; i < 1500; i++) {
        seed = seed * 1103515245u + 12345u;
        const char *e = pool[(seed >> 16) % (sizeof pool / sizeof *pool)];
        if ((seed >> 8) % 7 == 0) {
            bool taken = false;
            for (size_t k = 0; k < n_used && !taken; k++)
                taken = strcmp(used[k], e) == 0;
            assert_int_equal(view_names_try(s, e, strlen(e)), taken ? 0 : 1);
            if (!taken)
                used[n_used++] = strdup(e);
            continue;
        }
        char *want = rule5_naive(used, n_used, e);
        char *got = view_names_add(s, e, strlen(e), NULL);
        assert_non_null(got);
        assert_string_equal(got, want);
        free(got);
        used[n_used++] = want;
    }
    for (size_t k = 0; k < n_used; k++)
        free(used[k]);
    view_names_free(s);
}

static void
test_view_name_sample_names(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(view_sample_width(0), 4);
    assert_int_equal(view_sample_width(1), 4);
    assert_int_equal(view_sample_width(10000), 4);
    assert_int_equal(view_sample_width(10001), 5);
    assert_int_equal(view_sample_name(12, ABC_POD_FLOAT32, 3, buf), 8);
    assert_string_equal(buf, "0003.f32");
    view_sample_name(123456, ABC_POD_WSTRING, 7, buf);
    assert_string_equal(buf, "000007.str");
    view_sample_name(2, ABC_POD_BOOL, 1, buf);
    assert_string_equal(buf, "0001.bool");
    uint64_t i = 99;
    assert_true(view_sample_parse(12, ABC_POD_FLOAT32, "0011.f32", 8, &i));
    assert_int_equal(i, 11);
    assert_false(view_sample_parse(12, ABC_POD_FLOAT32, "0012.f32", 8, &i));
    assert_false(view_sample_parse(12, ABC_POD_FLOAT32, "011.f32", 7, &i));
    assert_false(view_sample_parse(12, ABC_POD_FLOAT32, "00011.f32", 9, &i));
    assert_false(view_sample_parse(12, ABC_POD_FLOAT32, "0011.f64", 8, &i));
    assert_false(view_sample_parse(12, ABC_POD_FLOAT32, "00+1.f32", 8, &i));
    assert_false(view_sample_parse(0, ABC_POD_INT32, "0000.i32", 8, &i));
}

static void
check_json(const char *raw, size_t len, const char *want)
{
    struct view_buf b = {0};
    view_buf_json_str(&b, raw, len);
    assert_false(b.oom);
    assert_string_equal(b.ptr, want);
    view_buf_free(&b);
}

static void
test_view_name_json_strings(void **state)
{
    (void)state;
    check_json("abc", 3, "\"abc\"");
    check_json("q\"b\\", 4, "\"q\\\"b\\\\\"");
    check_json("\n\t\x01", 3, "\"\\n\\t\\u0001\"");
    check_json("\xc3\xa9\xf0\x9f\x98\x80", 6, "\"\xc3\xa9\xf0\x9f\x98\x80\"");
    /* One U+FFFD per maximal ill-formed subsequence (Python's rule). */
    check_json("\xff", 1, "\"\xef\xbf\xbd\"");
    check_json("a\xe6\x97" "b", 4, "\"a\xef\xbf\xbd" "b\"");
    check_json("\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    check_json("\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    check_json("\xf4\x90\x80\x80", 4,
               "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    check_json("nul\0in", 6, "\"nul\\u0000in\"");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_view_name_escape_rule1_bytes),
        cmocka_unit_test(test_view_name_escape_rule2_dots_and_empty),
        cmocka_unit_test(test_view_name_escape_rule3_reserved),
        cmocka_unit_test(test_view_name_escape_rule4_long),
        cmocka_unit_test(test_view_name_dedup_rule5),
        cmocka_unit_test(test_view_name_dedup_many),
        cmocka_unit_test(test_view_name_rule5_linear),
        cmocka_unit_test(test_view_name_rule5_matches_definition),
        cmocka_unit_test(test_view_name_sample_names),
        cmocka_unit_test(test_view_name_json_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
