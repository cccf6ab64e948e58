/*
 * view_name.c — names of the mounted tree (layout.md "Names" and "Sample
 * files") and the small text buffer the view writes .info, .times and
 * xattr values with.
 *
 * Escaping follows rules 1–5 of layout.md in their order: byte escapes,
 * the dot names and the empty name, names equal to a virtual entry, long
 * names cut to 238 bytes (back to a UTF-8 boundary) plus "~" and the
 * FNV-1a 64 of the whole escaped name, and ~2, ~3, ... for siblings whose
 * final name is already used.  Rule 5 needs the set of names used so far in
 * one directory; struct view_names is that set (open addressing, so that a
 * directory of 100k children stays linear to build).  A name that needed a
 * suffix remembers the next one to try: names are only ever added, so every
 * suffix below it stays taken, and n siblings of one name cost O(n) probes
 * in all instead of O(n^2).
 *
 * JSON strings carry raw Alembic bytes: valid UTF-8 passes, and each
 * maximal ill-formed subsequence (Unicode §3.9, the rule Python's
 * "replace" also follows) becomes one U+FFFD, as dump-format.md asks.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "view.h"

/* Rule 4: the cut length and the suffix "~" + 16 hex digits. */
#define VIEW_NAME_KEEP 238

static bool
view_name_needs_escape(unsigned char c)
{
    return c == '/' || c == '%' || c < 0x20 || c == 0x7F;
}

char *
view_name_escape(const char *raw, size_t len, const char *const *reserved, size_t *out_len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += view_name_needs_escape((unsigned char)raw[i]) ? 3 : 1;
    /* Room for rule 2 ("..": 6 bytes) and rule 3 (two more bytes). */
    char *out = malloc(n + 8);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)raw[i];
        if (view_name_needs_escape(c)) {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    /* Rule 2. */
    if (o == 0) {
        strcpy(out, "%");
        o = 1;
    } else if (strcmp(out, ".") == 0) {
        strcpy(out, "%2E");
        o = 3;
    } else if (strcmp(out, "..") == 0) {
        strcpy(out, "%2E%2E");
        o = 6;
    }
    /* Rule 3: a name equal to a virtual entry gets its first byte escaped. */
    for (size_t r = 0; reserved != NULL && reserved[r] != NULL; r++) {
        if (strlen(reserved[r]) == o && memcmp(out, reserved[r], o) == 0) {
            unsigned char c = (unsigned char)out[0];
            memmove(out + 3, out + 1, o);   /* o - 1 bytes and the NUL */
            out[0] = '%';
            out[1] = hex[c >> 4];
            out[2] = hex[c & 15];
            o += 2;
            break;
        }
    }
    /* Rule 4: hash of the whole escaped name, cut back to a UTF-8 start. */
    if (o > VIEW_NAME_MAX) {
        uint64_t h = ogawa_fnv1a64(out, o);
        size_t cut = VIEW_NAME_KEEP;
        while (cut > 0 && ((unsigned char)out[cut] & 0xC0) == 0x80)
            cut--;
        o = cut + (size_t)snprintf(out + cut, 18, "~%016llx", (unsigned long long)h);
    }
    if (out_len != NULL)
        *out_len = o;
    return out;
}

/* ---- the set of final names of a directory (rule 5) --------------------- */

struct view_names_slot {
    char *name;             /* NULL = free */
    size_t len;
    uint64_t hash;
    unsigned long long next_suffix; /* rule 5: ~k below this are all taken (0: none tried) */
};

struct view_names {
    struct view_names_slot *slots;
    size_t cap;             /* power of two */
    size_t n;               /* used slots; kept <= cap / 2 */
    uint64_t probes;        /* slots inspected by lookups (view_names_probes) */
};

struct view_names *
view_names_new(size_t expect)
{
    struct view_names *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->cap = 16;
    while (s->cap < expect * 2 + 2)
        s->cap *= 2;
    s->slots = calloc(s->cap, sizeof *s->slots);
    if (s->slots == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

void
view_names_free(struct view_names *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->cap; i++)
        free(s->slots[i].name);
    free(s->slots);
    free(s);
}

static struct view_names_slot *
view_names_find(const struct view_names *s, const char *e, size_t len, uint64_t h)
{
    size_t mask = s->cap - 1;
    /* The only field a lookup changes: a statistic for the tests. */
    uint64_t *probes = &((struct view_names *)s)->probes;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        struct view_names_slot *sl = &s->slots[i];
        (*probes)++;
        if (sl->name == NULL)
            return sl;
        if (sl->hash == h && sl->len == len && memcmp(sl->name, e, len) == 0)
            return sl;
    }
}

static int
view_names_grow(struct view_names *s)
{
    size_t ncap = s->cap * 2;
    struct view_names_slot *ns = calloc(ncap, sizeof *ns);
    if (ns == NULL)
        return OGAWA_E_NOMEM;
    for (size_t i = 0; i < s->cap; i++) {
        if (s->slots[i].name == NULL)
            continue;
        size_t j = (size_t)s->slots[i].hash & (ncap - 1);
        while (ns[j].name != NULL)
            j = (j + 1) & (ncap - 1);
        ns[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = ns;
    s->cap = ncap;
    return 0;
}

bool
view_names_has(const struct view_names *s, const char *e, size_t len)
{
    return view_names_find(s, e, len, ogawa_fnv1a64(e, len))->name != NULL;
}

/* Inserts a copy of e, known to be absent. */
static int
view_names_insert(struct view_names *s, const char *e, size_t len)
{
    if ((s->n + 1) * 2 > s->cap && view_names_grow(s) != 0)
        return OGAWA_E_NOMEM;
    uint64_t h = ogawa_fnv1a64(e, len);
    struct view_names_slot *sl = view_names_find(s, e, len, h);
    sl->name = malloc(len + 1);
    if (sl->name == NULL)
        return OGAWA_E_NOMEM;
    memcpy(sl->name, e, len);
    sl->name[len] = '\0';
    sl->len = len;
    sl->hash = h;
    s->n++;
    return 0;
}

int
view_names_try(struct view_names *s, const char *e, size_t len)
{
    if (view_names_has(s, e, len))
        return 0;
    return view_names_insert(s, e, len) == 0 ? 1 : OGAWA_E_NOMEM;
}

uint64_t
view_names_probes(const struct view_names *s)
{
    return s->probes;
}

char *
view_names_add(struct view_names *s, const char *e, size_t len, size_t *out_len)
{
    char *cand = malloc(len + 24);
    if (cand == NULL)
        return NULL;
    memcpy(cand, e, len);
    cand[len] = '\0';
    size_t clen = len;
    uint64_t h = ogawa_fnv1a64(e, len);
    struct view_names_slot *base = view_names_find(s, e, len, h);
    unsigned long long k = 0;
    if (base->name != NULL) {
        /* Taken: the smallest free ~k, k >= 2, searched from where the
         * last search for this name stopped. */
        for (k = base->next_suffix > 2 ? base->next_suffix : 2;; k++) {
            clen = len + (size_t)snprintf(cand + len, 24, "~%llu", k);
            if (!view_names_has(s, cand, clen))
                break;
        }
    }
    if (view_names_insert(s, cand, clen) != 0) {
        free(cand);
        return NULL;
    }
    if (k != 0)     /* the insert may have moved the slots: find e again */
        view_names_find(s, e, len, h)->next_suffix = k + 1;
    if (out_len != NULL)
        *out_len = clen;
    return cand;
}

/* ---- sample file names --------------------------------------------------- */

unsigned
view_sample_width(uint64_t n_samples)
{
    uint64_t last = n_samples > 0 ? n_samples - 1 : 0;
    unsigned d = 1;
    while (last >= 10) {
        last /= 10;
        d++;
    }
    return d < 4 ? 4 : d;
}

size_t
view_sample_name(uint64_t n_samples, int pod, uint64_t i, char *buf)
{
    return (size_t)snprintf(buf, 32, "%0*llu.%s", (int)view_sample_width(n_samples),
                            (unsigned long long)i, abc_pod_ext(pod));
}

bool
view_sample_parse(uint64_t n_samples, int pod, const char *name, size_t len, uint64_t *i)
{
    unsigned w = view_sample_width(n_samples);
    const char *ext = abc_pod_ext(pod);
    size_t elen = strlen(ext);
    if (len != w + 1 + elen || name[w] != '.' || memcmp(name + w + 1, ext, elen) != 0)
        return false;
    uint64_t v = 0;
    for (unsigned k = 0; k < w; k++) {
        if (name[k] < '0' || name[k] > '9')
            return false;
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(name[k] - '0');
    }
    if (v >= n_samples)
        return false;
    *i = v;
    return true;
}

/* ---- text buffer ----------------------------------------------------------- */

static bool
view_buf_reserve(struct view_buf *b, size_t more)
{
    if (b->oom)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < b->len + more + 1) {
        if (ncap > SIZE_MAX / 2) {
            b->oom = true;
            return false;
        }
        ncap *= 2;
    }
    char *p = realloc(b->ptr, ncap);
    if (p == NULL) {
        b->oom = true;
        return false;
    }
    b->ptr = p;
    b->cap = ncap;
    return true;
}

void
view_buf_put(struct view_buf *b, const void *data, size_t len)
{
    if (b->count) {
        b->len += len;
        return;
    }
    if (!view_buf_reserve(b, len))
        return;
    if (len > 0)
        memcpy(b->ptr + b->len, data, len);
    b->len += len;
    b->ptr[b->len] = '\0';
}

void
view_buf_puts(struct view_buf *b, const char *s)
{
    view_buf_put(b, s, strlen(s));
}

void
view_buf_printf(struct view_buf *b, const char *fmt, ...)
{
    char small[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small || b->count) {
        view_buf_put(b, small, (size_t)n);  /* counting: only n is used */
        return;
    }
    if (!view_buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void
view_buf_adopt(struct view_buf *b, void *bytes, size_t len)
{
    free(b->ptr);
    b->ptr = bytes;
    b->len = b->cap = len;
}

void
view_buf_free(struct view_buf *b)
{
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

/* Length of the well-formed UTF-8 sequence at s (Unicode Table 3-7), or 0
 * with *bad set to the length of its maximal ill-formed subpart. */
static size_t
view_utf8_seq(const unsigned char *s, size_t len, size_t *bad)
{
    unsigned char c = s[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        *bad = 1;
        return 0;
    }
    size_t k = 1;
    for (; k <= need; k++) {
        if (k >= len || s[k] < lo || s[k] > hi) {
            *bad = k;
            return 0;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    return need + 1;
}

void
view_buf_json_str(struct view_buf *b, const char *raw, size_t len)
{
    const unsigned char *s = (const unsigned char *)raw;
    view_buf_put(b, "\"", 1);
    size_t i = 0;
    while (i < len) {
        /* A run of printable ASCII needing no escape goes in one append:
         * names and full names are mostly that, and a 10^4-deep full name
         * is 60 kB (byte-by-byte appends made listing deep trees slow). */
        size_t run = i;
        while (run < len && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\')
            run++;
        if (run > i) {
            view_buf_put(b, s + i, run - i);
            i = run;
            continue;
        }
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            view_buf_put(b, esc, 2);
            i++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n': view_buf_puts(b, "\\n"); break;
            case '\t': view_buf_puts(b, "\\t"); break;
            case '\r': view_buf_puts(b, "\\r"); break;
            case '\b': view_buf_puts(b, "\\b"); break;
            case '\f': view_buf_puts(b, "\\f"); break;
            default: view_buf_printf(b, "\\u%04x", c); break;
            }
            i++;
        } else {
            size_t bad = 0;
            size_t n = view_utf8_seq(s + i, len - i, &bad);
            if (n > 0) {
                view_buf_put(b, s + i, n);
                i += n;
            } else {
                view_buf_put(b, "\xEF\xBF\xBD", 3);
                i += bad;
            }
        }
    }
    view_buf_put(b, "\"", 1);
}
