/*
 * pod.c — names and sizes of the plain old data types (ogawa-format.md
 * §2.1) and of property kinds, and the wstring → UTF-8 conversion that the
 * dump and the mount both show (layout.md "Sample files").
 *
 * One static table so that the dump's names, the metadata's podName and
 * the mount's file extensions cannot drift apart.
 */
#include "abc.h"

struct abc_pod_info {
    unsigned size;          /* bytes per value, 0 = variable */
    const char *name;       /* dump-format.md */
    const char *meta_name;  /* metadata podName, §9.2 */
    const char *ext;        /* layout.md */
};

static const struct abc_pod_info abc_pods[ABC_POD_COUNT] = {
    { 1, "bool", "bool_t", "bool" },
    { 1, "uint8", "uint8_t", "u8" },
    { 1, "int8", "int8_t", "i8" },
    { 2, "uint16", "uint16_t", "u16" },
    { 2, "int16", "int16_t", "i16" },
    { 4, "uint32", "uint32_t", "u32" },
    { 4, "int32", "int32_t", "i32" },
    { 8, "uint64", "uint64_t", "u64" },
    { 8, "int64", "int64_t", "i64" },
    { 2, "float16", "float16_t", "f16" },
    { 4, "float32", "float32_t", "f32" },
    { 8, "float64", "float64_t", "f64" },
    { 0, "string", "string", "str" },
    { 0, "wstring", "wstring", "str" },
};

unsigned
abc_pod_size(int pod)
{
    return pod >= 0 && pod < ABC_POD_COUNT ? abc_pods[pod].size : 0;
}

const char *
abc_pod_name(int pod)
{
    return pod >= 0 && pod < ABC_POD_COUNT ? abc_pods[pod].name : "unknown";
}

const char *
abc_pod_meta_name(int pod)
{
    return pod >= 0 && pod < ABC_POD_COUNT ? abc_pods[pod].meta_name : "unknown";
}

const char *
abc_pod_ext(int pod)
{
    return pod >= 0 && pod < ABC_POD_COUNT ? abc_pods[pod].ext : "bin";
}

const char *
abc_kind_name(int kind)
{
    switch (kind) {
    case ABC_KIND_COMPOUND: return "compound";
    case ABC_KIND_SCALAR: return "scalar";
    case ABC_KIND_ARRAY: return "array";
    default: return "unknown";
    }
}

/* Encodes one code point; surrogates and values past U+10FFFF become
 * U+FFFD, so the output is always valid UTF-8. */
static size_t
abc_utf8_put(uint32_t cp, uint8_t *out)
{
    uint8_t tmp[4];
    uint8_t *p = out ? out : tmp;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    if (cp < 0x80) {
        p[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        p[0] = (uint8_t)(0xC0 | (cp >> 6));
        p[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        p[0] = (uint8_t)(0xE0 | (cp >> 12));
        p[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        p[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    p[0] = (uint8_t)(0xF0 | (cp >> 18));
    p[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    p[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    p[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

size_t
abc_wstring_to_utf8(const uint8_t *in, size_t in_len, uint8_t *out)
{
    size_t n = 0;
    /* A trailing partial unit cannot be a code point; it is dropped. */
    for (size_t i = 0; i + 4 <= in_len; i += 4) {
        uint32_t cp = (uint32_t)in[i] | (uint32_t)in[i + 1] << 8 | (uint32_t)in[i + 2] << 16 |
                      (uint32_t)in[i + 3] << 24;
        n += abc_utf8_put(cp, out ? out + n : NULL);
    }
    return n;
}
