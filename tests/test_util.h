/*
 * test_util.h — a small builder of Ogawa byte sequences for the reader's
 * unit tests (issue 2, item 4: "hand-built byte sequences for each error
 * path").
 *
 * A struct tb_buf is a growable byte buffer.  Used as a blob it collects
 * the payload of one data block (a header record, a time-sampling table);
 * used as a file (tb_file_init) it starts with a 16-byte Ogawa header and
 * every tb_data / tb_group call appends one block at the end and returns
 * the slot that refers to it, exactly as the C++ writer lays blocks out
 * (ogawa-format.md §1.5: append only, children before parents).  Nothing
 * here checks what it writes: building broken files is the point.
 *
 * The tb_abc_* helpers add the AbcCoreOgawa pieces (§3–§5) that most tests
 * need around the one thing they break.
 */
#ifndef ABCFS_TEST_UTIL_H
#define ABCFS_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abc.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif

struct tb_buf {
    uint8_t *p;
    size_t len;
    size_t cap;
};

/* ---- blobs ------------------------------------------------------------ */

void tb_bytes(struct tb_buf *b, const void *p, size_t n);
void tb_u8(struct tb_buf *b, uint8_t v);
void tb_u16(struct tb_buf *b, uint16_t v);
void tb_u32(struct tb_buf *b, uint32_t v);
void tb_u64(struct tb_buf *b, uint64_t v);
void tb_f64(struct tb_buf *b, double v);
void tb_str(struct tb_buf *b, const char *s);           /* no terminator */
void tb_fill(struct tb_buf *b, uint8_t v, size_t n);
/* Appends v as a size-hinted unsigned (§2.2): 1, 2 or 4 bytes for hint 0..2. */
void tb_hinted(struct tb_buf *b, unsigned hint, uint32_t v);
void tb_free(struct tb_buf *b);                         /* back to empty */

/* ---- files ------------------------------------------------------------ */

/* Starts a file: "Ogawa", frozen 0xFF, version 00 01, root offset 0. */
void tb_file_init(struct tb_buf *f);
/* Appends a data block of n bytes; returns its slot (EMPTY_DATA for n 0). */
uint64_t tb_data(struct tb_buf *f, const void *p, size_t n);
uint64_t tb_data_buf(struct tb_buf *f, const struct tb_buf *blob);
/* Appends a group block of n slots; returns its offset (0 for n 0). */
uint64_t tb_group(struct tb_buf *f, size_t n, const uint64_t *slots);
/* A group of the slots given as arguments (each converted to uint64_t). */
#define TB_GROUP(f, ...)                                                          \
    tb_group((f), sizeof((uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t),          \
             (uint64_t[]){ __VA_ARGS__ })
/* Stores the root group offset in the header (bytes 8..15). */
void tb_set_root(struct tb_buf *f, uint64_t off);
/* Overwrites bytes at off (for patching a slot after the fact). */
void tb_patch(struct tb_buf *f, size_t off, const void *p, size_t n);
void tb_patch_u64(struct tb_buf *f, size_t off, uint64_t v);

/* Writes the bytes to a new temporary file; returns its malloc'ed path. */
char *tb_write(const struct tb_buf *f);
char *tb_write_raw(const void *p, size_t n);
/* Unlinks and frees a path from tb_write (accepts NULL). */
void tb_remove(char *path);

/* Asserts that err->msg contains part: pins which check refused the input
 * (the reader's messages are unique, style.md §5). */
void tb_assert_msg(const struct ogawa_err *err, const char *part);

/* A malloc'ed path under TEST_DATA_DIR. */
char *tb_data_path(const char *rel);

/* ---- AbcCoreOgawa pieces ---------------------------------------------- */

/* Appends one time-sampling entry (§3.4) to a table blob. */
void tb_abc_ts(struct tb_buf *table, uint32_t max_samples, double tpc, uint32_t n_times,
               const double *times);

/*
 * Writes the root blocks and the root group around a top object group:
 * file version 0, library version 10812, archive metadata md (NULL =
 * EMPTY_DATA), time samplings ts (NULL = identity only), indexed metadata
 * table idx (NULL = EMPTY_DATA), and sets the header's root offset.
 * Returns the root group offset.
 */
uint64_t tb_abc_finish(struct tb_buf *f, uint64_t top, const char *md, const struct tb_buf *ts,
                       const struct tb_buf *idx);

/* One object header record (§4.2): meta_idx 255 writes meta inline. */
void tb_abc_objhdr(struct tb_buf *blob, const char *name, uint8_t meta_idx, const char *meta);
/* Appends the 32 trailing hash bytes (zeros: readers never check them). */
void tb_abc_hashes(struct tb_buf *blob);

/* One property header record (§5.2), field by field. */
struct tb_prop {
    unsigned type;              /* info bits 0-1: 0 compound, 1 scalar, 2 array, 3 scalar-like array */
    unsigned hint;              /* 0..3 */
    unsigned pod;               /* 0..15 */
    unsigned extent;            /* 0..255 */
    uint32_t num_samples;
    bool first_last;            /* 0x0200: store first/last */
    uint32_t first, last;
    bool constant;              /* 0x0800 */
    bool homogenous;            /* 0x0400 */
    bool has_ts;                /* 0x0100: store ts */
    uint32_t ts;
    uint8_t meta_idx;           /* 255: inline meta */
    const char *meta;
    const char *name;
    uint32_t name_len;          /* 0: strlen(name) */
};
uint32_t tb_abc_prop_info(const struct tb_prop *p);
void tb_abc_prop(struct tb_buf *blob, const struct tb_prop *p);

/* A sample block (§5.5): 16 zero key bytes + payload; returns the slot. */
uint64_t tb_abc_sample(struct tb_buf *f, const void *payload, size_t n);

/*
 * The common frame: a top object with one child object "o" (metadata index
 * 0) whose top compound is the group at compound (0 = none).  Finishes the
 * file as tb_abc_finish does.
 */
void tb_abc_one_object(struct tb_buf *f, uint64_t compound, const struct tb_buf *ts,
                       const struct tb_buf *idx);

/*
 * Opens path and walks to the top compound of top-level child 0: fills
 * *a, *o (child 0) and *c.  Asserts success.
 */
void tb_open_props(const char *path, abc_archive **a, abc_object **o, abc_compound **c);
void tb_close_props(abc_archive *a, abc_object *o, abc_compound *c);

#endif
