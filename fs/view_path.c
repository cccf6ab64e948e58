/*
 * view_path.c — the one mapping of the project's codes to errno (paths
 * are resolved in tree.c, view_resolve included, for one archive and a
 * directory of archives alike).
 *
 * view_errno is where codes become errno (style.md rule 6): damage in the
 * archive is EIO, a missing entry ENOENT, and I/O failures keep the errno
 * that the library saved.
 */
#include <errno.h>

#include "view_int.h"

int
view_errno(int code, const struct ogawa_err *err)
{
    switch (code) {
    case 0: return 0;
    case OGAWA_E_NOENT: return ENOENT;
    case OGAWA_E_NOMEM: return ENOMEM;
    case OGAWA_E_IO: return err != NULL && err->sys_errno > 0 ? err->sys_errno : EIO;
    case OGAWA_E_INVAL: return EINVAL;
    case OGAWA_E_TOOBIG: return EFBIG;
    case VIEW_E_NOTDIR: return ENOTDIR;
    case VIEW_E_ISDIR: return EISDIR;
    case VIEW_E_NODATA: return ENODATA;
    case VIEW_E_RANGE: return ERANGE;
    case VIEW_E_NOTLINK: return EINVAL;
    case VIEW_E_NAMETOOLONG: return ENAMETOOLONG;
    case VIEW_E_LOOP: return ELOOP;
    case VIEW_E_TOOBIG: return EFBIG;
    default: return EIO;    /* CORRUPT, DEPTH, VERSION, ...: the archive is damaged */
    }
}
