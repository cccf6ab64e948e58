/*
 * png.h — a PNG writer for the pictures of `.preview/` (views.md): 8-bit
 * RGBA, no interlace, the same bytes for the same pixels every time.  No
 * archive reading and no FUSE here.
 *
 * The file is the signature, IHDR, the image data deflated by zlib in
 * IDAT chunks of at most PNG_IDAT_MAX bytes, and IEND.  Each row gets the
 * filter of the five (PNG §9.2) whose output has the smallest sum of
 * absolute values taken as signed bytes (PNG §12.8; ties go to the lower
 * filter type).  deflate runs at level PNG_DEFLATE_LEVEL with zlib's
 * default window, memory level and strategy.
 *
 * Thread-safety: no shared state; any number of threads may encode at once.
 */
#ifndef ABCFS_PNG_H
#define ABCFS_PNG_H

#include <stddef.h>
#include <stdint.h>

#define PNG_IDAT_MAX (1u << 20)     /* data bytes in one IDAT chunk, at most */
#define PNG_DEFLATE_LEVEL 6

/*
 * Encodes width x height pixels of 8-bit RGBA (rgba: width * height * 4
 * bytes, row-major, top row first) as a PNG in a new malloc'ed buffer:
 * *out (free it with free()) and *len.
 * Returns 0, -EINVAL (a zero or over 2^31 - 1 width or height, or NULL
 * pixels), -EOVERFLOW (the image is too big to address), -ENOMEM, or -EIO
 * (zlib failed).  On failure *out is NULL and *len is 0.
 */
int png_encode_rgba(const uint8_t *rgba, uint32_t width, uint32_t height, uint8_t **out, size_t *len);

#endif
