/*
 * error.c — error values of libogawa (style.md §4–§5).
 *
 * An error is an int code returned up the stack plus a struct ogawa_err the
 * caller may pass in: the code, the archive offset of the block that was
 * wrong, and a static message.  Nothing here allocates, so reporting works
 * when memory is short, and no function of the library ever exits.
 */
#include "ogawa.h"

#include <stdio.h>
#include <string.h>

int
ogawa_fail(struct ogawa_err *err, int code, uint64_t off, const char *msg)
{
    if (err) {
        err->code = code;
        err->off = off;
        err->msg = msg;
        err->sys_errno = 0;
    }
    return code;
}

const char *
ogawa_strerror(int code)
{
    switch (code) {
    case OGAWA_OK: return "success";
    case OGAWA_E_NOTOGAWA: return "not an Ogawa archive";
    case OGAWA_E_VERSION: return "unsupported version";
    case OGAWA_E_NOTFROZEN: return "archive not cleanly closed by its writer";
    case OGAWA_E_HDF5: return "HDF5-backed Alembic archive (only Ogawa is supported)";
    case OGAWA_E_CORRUPT: return "corrupt archive";
    case OGAWA_E_DEPTH: return "archive structure loops or nests too deep";
    case OGAWA_E_IO: return "input/output error";
    case OGAWA_E_NOMEM: return "out of memory";
    case OGAWA_E_NOENT: return "no such entry";
    case OGAWA_E_INVAL: return "invalid argument";
    case OGAWA_E_TOOBIG: return "result too large";
    default: return "unknown error";
    }
}

void
ogawa_err_format(const struct ogawa_err *err, char *buf, size_t len)
{
    if (!buf || len == 0)
        return;
    if (!err || err->code == 0) {
        snprintf(buf, len, "no error");
        return;
    }
    const char *msg = err->msg ? err->msg : ogawa_strerror(err->code);
    /* Structural errors get the category and the offset: they are what a
     * user reports and what a developer needs to find the block. */
    bool structural = err->code == OGAWA_E_CORRUPT || err->code == OGAWA_E_DEPTH;
    if (err->code == OGAWA_E_IO && err->sys_errno)
        snprintf(buf, len, "%s: %s", msg, strerror(err->sys_errno));
    else if (structural && err->off)
        snprintf(buf, len, "%s: %s at offset %llu", ogawa_strerror(err->code), msg,
                 (unsigned long long)err->off);
    else if (structural)
        snprintf(buf, len, "%s: %s", ogawa_strerror(err->code), msg);
    else
        snprintf(buf, len, "%s", msg);
}
