/*
 * fuzz_ogawa.c — fuzz target for the Ogawa container (ogawa.h,
 * ogawa-format.md §1): open the input, then walk every group reachable
 * from the root and read every data block, checking each answer against
 * the input bytes themselves.
 *
 * The walk is the one a hostile file must not be able to break: an
 * explicit stack instead of recursion, a set of visited group offsets so
 * that cycles and shared groups (§1.6) are walked once, and budgets on
 * groups and slots so that one input cannot run for long (libFuzzer's
 * -timeout would report it as a hang, which here would be our own walk's
 * fault, not the library's).
 *
 * Beyond "does not crash", it checks the container's promises: every
 * group's slots and every data block lie inside the file, a loaded block
 * is exactly the file's bytes plus a NUL, out-of-range requests fail with
 * the documented code, and every failure fills in err consistently.
 */
#include "fuzz_common.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_GROUPS 2048        /* distinct groups walked per input */
#define FUZZ_MAX_SLOTS 32768        /* child slots read per input */
#define FUZZ_MAX_LOAD (1u << 20)    /* data blocks loaded whole up to this size */
#define FUZZ_BATCH 64               /* slots per ogawa_group_children call */
#define FUZZ_SET_BITS 12            /* visited set: 4096 entries, > FUZZ_MAX_GROUPS */

struct fuzz_walk {
    const uint8_t *data;            /* the input: the file's bytes */
    size_t size;
    ogawa_archive *a;
    uint64_t stack[FUZZ_MAX_GROUPS];
    size_t depth;                   /* entries on stack */
    uint64_t seen[1u << FUZZ_SET_BITS]; /* open addressing, 0 = free */
    size_t n_seen;
    size_t slots_left;
    size_t spot_checks;             /* extra single reads left (each is a pread) */
};

/* Adds off to the visited set; false if it was there or the set is full. */
static bool
fuzz_walk_mark(struct fuzz_walk *w, uint64_t off)
{
    const size_t mask = (1u << FUZZ_SET_BITS) - 1;
    if (w->n_seen >= FUZZ_MAX_GROUPS)
        return false;
    size_t h = (size_t)((off * 0x9E3779B97F4A7C15ULL) >> (64 - FUZZ_SET_BITS));
    while (w->seen[h] != 0) {
        if (w->seen[h] == off)
            return false;
        h = (h + 1) & mask;
    }
    w->seen[h] = off;
    w->n_seen++;
    return true;
}

static uint64_t
fuzz_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void
fuzz_data_block(struct fuzz_walk *w, uint64_t slot)
{
    struct ogawa_err err = { 0 };
    struct ogawa_data d;
    int rc = ogawa_data_read(w->a, slot, &d, &err);
    fuzz_check_err(rc, &err);
    if (rc) {
        FUZZ_ASSERT(d.off == 0 && d.len == 0);
        return;
    }
    if (d.off == 0) {
        FUZZ_ASSERT(d.len == 0 && ogawa_slot_offset(slot) == 0);
        FUZZ_ASSERT(ogawa_data_payload(&d) == 0);
    } else {
        FUZZ_ASSERT(d.off == ogawa_slot_offset(slot));
        FUZZ_ASSERT(d.off >= OGAWA_HEADER_LEN);
        FUZZ_ASSERT(ogawa_range_ok(d.off, 8, w->size));
        FUZZ_ASSERT(ogawa_range_ok(d.off + 8, d.len, w->size));
        FUZZ_ASSERT(d.len == fuzz_le64(w->data + d.off));
        FUZZ_ASSERT(ogawa_data_payload(&d) == d.off + 8);
    }
    if (d.len > FUZZ_MAX_LOAD)
        return;
    uint8_t *buf;
    rc = ogawa_data_load(w->a, &d, d.len, &buf, &err);
    fuzz_check_err(rc, &err);
    FUZZ_ASSERT(rc == 0 && buf != NULL);
    FUZZ_ASSERT(buf[d.len] == 0);
    FUZZ_ASSERT(d.len == 0 || memcmp(buf, w->data + d.off + 8, (size_t)d.len) == 0);
    free(buf);
    if (d.len > 0) {
        /* A bound below the size is a refusal, not a truncation. */
        rc = ogawa_data_load(w->a, &d, d.len - 1, &buf, &err);
        FUZZ_ASSERT(rc == OGAWA_E_CORRUPT && buf == NULL);
        fuzz_check_err(rc, &err);
        if (w->spot_checks == 0)
            return;
        w->spot_checks--;
        /* The last byte through the plain read. */
        uint8_t last;
        rc = ogawa_archive_read(w->a, d.off + 8 + d.len - 1, &last, 1, &err);
        FUZZ_ASSERT(rc == 0 && last == w->data[d.off + 8 + d.len - 1]);
    }
}

static void
fuzz_group(struct fuzz_walk *w, uint64_t off)
{
    struct ogawa_err err = { 0 };
    struct ogawa_group g;
    int rc = ogawa_group_read(w->a, off, &g, &err);
    fuzz_check_err(rc, &err);
    if (rc) {
        FUZZ_ASSERT(g.off == 0 && g.n_children == 0);
        return;
    }
    if (off == 0) {
        FUZZ_ASSERT(g.off == 0 && g.n_children == 0);
        return;
    }
    FUZZ_ASSERT(g.off == off && off >= OGAWA_HEADER_LEN);
    FUZZ_ASSERT(g.n_children == fuzz_le64(w->data + off));
    FUZZ_ASSERT(g.n_children <= (w->size - off - 8) / 8);

    uint64_t slot;
    rc = ogawa_group_child(w->a, &g, g.n_children, &slot, &err);
    FUZZ_ASSERT(rc == OGAWA_E_NOENT);
    fuzz_check_err(rc, &err);

    uint64_t slots[FUZZ_BATCH];
    for (uint64_t first = 0; first < g.n_children && w->slots_left > 0; first += FUZZ_BATCH) {
        uint64_t n = g.n_children - first;
        if (n > FUZZ_BATCH)
            n = FUZZ_BATCH;
        if (n > w->slots_left)
            n = w->slots_left;
        w->slots_left -= n;
        rc = ogawa_group_children(w->a, &g, first, n, slots, &err);
        fuzz_check_err(rc, &err);
        if (rc) {
            /* The only refusal left once the count is checked: a slot that
             * names its own group. */
            FUZZ_ASSERT(rc == OGAWA_E_DEPTH);
            return;
        }
        for (uint64_t i = 0; i < n; i++) {
            uint64_t s = slots[i];
            FUZZ_ASSERT(s == fuzz_le64(w->data + off + 8 + 8 * (first + i)));
            if (i == 0 && w->spot_checks > 0) {
                w->spot_checks--;
                rc = ogawa_group_child(w->a, &g, first, &slot, &err);
                FUZZ_ASSERT(rc == 0 && slot == s);
            }
            if (ogawa_slot_is_data(s)) {
                fuzz_data_block(w, s);
            } else {
                FUZZ_ASSERT(s != off);
                if (s != 0 && w->depth < FUZZ_MAX_GROUPS && fuzz_walk_mark(w, s))
                    w->stack[w->depth++] = s;
            }
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Static, not on the heap: a fresh 48 KiB allocation per input costs
     * more page faults under ASan than the walk itself. */
    static struct fuzz_walk walk;
    struct fuzz_walk *w = &walk;
    memset(w->seen, 0, sizeof(w->seen));
    w->n_seen = 0;
    w->depth = 0;
    w->a = NULL;
    w->data = data;
    w->size = size;
    w->slots_left = FUZZ_MAX_SLOTS;
    w->spot_checks = 32;

    struct ogawa_err err = { 0 };
    int fd = fuzz_input_fd(data, size);
    int rc = ogawa_archive_open_fd(fd, &w->a, &err);
    fuzz_check_err(rc, &err);
    if (rc) {
        FUZZ_ASSERT(w->a == NULL);
        FUZZ_ASSERT(rc == OGAWA_E_NOTOGAWA || rc == OGAWA_E_HDF5 || rc == OGAWA_E_VERSION ||
                    rc == OGAWA_E_NOTFROZEN || rc == OGAWA_E_CORRUPT);
        goto out;
    }
    ogawa_archive *a = w->a;
    FUZZ_ASSERT(ogawa_archive_size(a) == size);
    FUZZ_ASSERT(size >= OGAWA_HEADER_LEN && memcmp(data, "Ogawa", 5) == 0);
    uint64_t root = ogawa_archive_root(a);
    FUZZ_ASSERT(root == fuzz_le64(data + 8));
    FUZZ_ASSERT(root >= OGAWA_HEADER_LEN && ogawa_range_ok(root, 8, size));
    FUZZ_ASSERT(ogawa_archive_fd(a) == fd);

    /* Reads at and past the end: exact fits work, anything further is
     * refused without touching memory. */
    uint8_t byte;
    rc = ogawa_archive_read(a, size - 1, &byte, 1, &err);
    FUZZ_ASSERT(rc == 0 && byte == data[size - 1]);
    rc = ogawa_archive_read(a, size, &byte, 1, &err);
    FUZZ_ASSERT(rc == OGAWA_E_CORRUPT);
    fuzz_check_err(rc, &err);
    rc = ogawa_archive_read(a, UINT64_MAX, &byte, 2, &err);
    FUZZ_ASSERT(rc == OGAWA_E_CORRUPT);
    rc = ogawa_archive_read(a, size, &byte, 0, &err);
    FUZZ_ASSERT(rc == 0);

    /* Groups and data blocks at the offsets named by the input's first
     * words are probed too, not only what the tree reaches: hostile slots
     * can point anywhere, including into the header. */
    for (size_t pos = 0; pos + 8 <= size && pos < 128; pos += 8) {
        uint64_t v = fuzz_le64(data + pos);
        struct ogawa_group g;
        struct ogawa_data d;
        rc = ogawa_group_read(a, ogawa_slot_offset(v), &g, &err);
        fuzz_check_err(rc, &err);
        rc = ogawa_data_read(a, v | OGAWA_SLOT_DATA_BIT, &d, &err);
        fuzz_check_err(rc, &err);
    }

    fuzz_walk_mark(w, root);
    w->stack[w->depth++] = root;
    while (w->depth > 0)
        fuzz_group(w, w->stack[--w->depth]);

    struct ogawa_stats st;
    ogawa_archive_stats(a, &st);
    FUZZ_ASSERT(st.reads >= 1 && st.bytes_read >= OGAWA_HEADER_LEN);
    ogawa_archive_close(a);
out:
    fuzz_input_done(fd);
    return 0;
}
