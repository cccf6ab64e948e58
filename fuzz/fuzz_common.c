/*
 * fuzz_common.c — input plumbing and contract checks shared by the fuzz
 * targets (see fuzz_common.h).
 *
 * Inputs reach the library through a memfd rather than a temporary file:
 * nothing touches the disk, there is nothing to clean up when a run is
 * killed, and reading is still pread(2) on a real fd, the path the daemon
 * takes.  One memfd is reused (ftruncate + pwrite) and a dup of it handed
 * over per input, which costs three system calls instead of a
 * memfd_create per execution.
 *
 * A gzip input opened by path (fuzz_view) would keep its checkpoint index
 * in the user's cache directory: XDG_CACHE_HOME is pointed at a temporary
 * directory instead, removed at exit.
 */
#include "fuzz_common.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int fuzz_memfd = -1;
static char fuzz_path[64];
static unsigned fuzz_formats_left;  /* ogawa_err_format calls left for this input */
static char fuzz_cache[64];

static int
fuzz_cache_remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void
fuzz_cache_remove(void)
{
    nftw(fuzz_cache, fuzz_cache_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

_Noreturn void
fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", file, line, what);
    abort();
}

int
fuzz_input_fd(const uint8_t *data, size_t size)
{
    if (fuzz_memfd < 0) {
        fuzz_memfd = memfd_create("abcfs-fuzz-input", MFD_CLOEXEC);
        if (fuzz_memfd < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(fuzz_path, sizeof(fuzz_path), "/proc/self/fd/%d", fuzz_memfd);
        snprintf(fuzz_cache, sizeof(fuzz_cache), "/tmp/abcfs-fuzz-cache-XXXXXX");
        if (mkdtemp(fuzz_cache) == NULL || setenv("XDG_CACHE_HOME", fuzz_cache, 1) != 0) {
            perror("fuzz cache directory");
            abort();
        }
        atexit(fuzz_cache_remove);
    }
    if (ftruncate(fuzz_memfd, 0) != 0) {
        perror("ftruncate");
        abort();
    }
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(fuzz_memfd, data + done, size - done, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            perror("pwrite");
            abort();
        }
        done += (size_t)n;
    }
    fuzz_formats_left = 8;
    int fd = fcntl(fuzz_memfd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        perror("dup");
        abort();
    }
    return fd;
}

const char *
fuzz_input_path(void)
{
    return fuzz_path;
}

void
fuzz_input_done(int fd)
{
    if (fcntl(fd, F_GETFD) != -1) {
        fprintf(stderr, "fuzz: the library did not close fd %d it was given\n", fd);
        abort();
    }
}

void
fuzz_check_err(int rc, const struct ogawa_err *err)
{
    char buf[256];
    FUZZ_ASSERT(rc <= 0);
    if (rc == 0)
        return;
    FUZZ_ASSERT(err->code == rc);
    FUZZ_ASSERT(err->msg != NULL);
    FUZZ_ASSERT(rc != OGAWA_E_IO || err->sys_errno != 0);
    /* Formatting is snprintf: a few per input, or it dominates the run. */
    if (fuzz_formats_left == 0)
        return;
    fuzz_formats_left--;
    ogawa_err_format(err, buf, sizeof(buf));
    FUZZ_ASSERT(buf[0] != 0);
    FUZZ_ASSERT(strcmp(ogawa_strerror(rc), "unknown error") != 0 || rc <= -100);
}

/* Strict UTF-8: no overlong forms, surrogates or code points past
 * U+10FFFF (what the library promises to produce from raw names). */
bool
fuzz_utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            k = 1, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            k = 3, cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i <= k)
            return false;
        for (size_t m = 1; m <= k; m++) {
            if ((s[i + m] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + m] & 0x3F);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += k + 1;
    }
    return true;
}
