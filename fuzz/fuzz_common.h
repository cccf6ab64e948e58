/*
 * fuzz_common.h — what the fuzz targets share: the libFuzzer entry point,
 * handing an input to the library as a file descriptor, and the checks
 * that every target makes of the error contract of ogawa.h.
 *
 * The same target sources build two ways (fuzz/meson.build): with clang's
 * -fsanitize=fuzzer into libFuzzer binaries (-Dfuzz=true, tools/fuzz.sh),
 * and otherwise with replay.c's main into plain executables that meson
 * test runs over the committed regression corpus fuzz/regress/<target>/.
 */
#ifndef ABCFS_FUZZ_COMMON_H
#define ABCFS_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ogawa.h"

/* Provided by each target. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Returns a new read-only-use fd whose file holds exactly data[0..size):
 * a dup of one memfd that is rewritten for every input, so no file is
 * created on disk and no two runs see each other's bytes.  The library
 * takes the fd over; fuzz_input_done then checks that it was closed.
 * Aborts (a finding) if the system refuses, which it should not.
 */
int fuzz_input_fd(const uint8_t *data, size_t size);

/* "/proc/self/fd/N" of the memfd, for APIs that open a path. */
const char *fuzz_input_path(void);

/* Aborts if fd is still open: the library must close the fd it was given,
 * on success (at _close) and on failure alike (ogawa.h). */
void fuzz_input_done(int fd);

/* Checks the error contract of a call that returned rc: rc is 0 or a
 * known negative code, and on failure err records the same code and a
 * message.  Also exercises ogawa_err_format/ogawa_strerror.  Aborts on a
 * violation. */
void fuzz_check_err(int rc, const struct ogawa_err *err);

/* True if s[0..n) is valid UTF-8. */
bool fuzz_utf8_valid(const uint8_t *s, size_t n);

/* Aborts with a message: an invariant of the API did not hold. */
#define FUZZ_ASSERT(cond)                                                                  \
    do {                                                                                   \
        if (!(cond))                                                                       \
            fuzz_fail(__FILE__, __LINE__, #cond);                                          \
    } while (0)
_Noreturn void fuzz_fail(const char *file, int line, const char *what);

#endif
