/*
 * replay.c — main() for the fuzz targets when they are not built with
 * libFuzzer: runs every file named on the command line, and every regular
 * file under every directory named, through LLVMFuzzerTestOneInput once.
 * meson test (suite fuzz-regress) uses it to replay fuzz/regress/<target>/
 * and the seed archives of tests/data under gcc, plain or sanitized.
 *
 * A finding aborts inside the target (sanitizer report, FUZZ_ASSERT), so
 * the exit status is the verdict; the file being run is printed first so
 * that the log names it.  Directories are walked with nftw, sorted order
 * is not needed since every file is independent.  (-D_GNU_SOURCE, a
 * project argument, exposes nftw.)
 */
#include "fuzz_common.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static unsigned long replay_count;
static int replay_verbose;

static int
replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            fprintf(stderr, "%s: out of memory\n", path);
            return -1;
        }
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap)
            break;
        cap *= 2;
        uint8_t *bigger = realloc(buf, cap);
        if (!bigger)
            free(buf);
        buf = bigger;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        perror(path);
        return -1;
    }
    if (replay_verbose)
        fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
    /* libFuzzer hands the target a heap copy of exactly len bytes; do the
     * same so that an over-read of the input is caught by ASan here too. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    if (len)
        memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    replay_count++;
    return 0;
}

static int
replay_visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)ftw;
    if (type == FTW_F && S_ISREG(st->st_mode))
        return replay_file(path) ? 1 : 0;
    if (type == FTW_DNR || type == FTW_NS) {
        fprintf(stderr, "%s: cannot read\n", path);
        return 1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    int first = 1;
    replay_verbose = getenv("FUZZ_REPLAY_VERBOSE") != NULL;
    if (argc > 1 && argv[1][0] == '-' && argv[1][1] == 'v') {
        replay_verbose = 1;
        first = 2;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: %s [-v] FILE|DIR...\n", argv[0]);
        return 2;
    }
    for (int i = first; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 1;
        }
        int rc = S_ISDIR(st.st_mode) ? nftw(argv[i], replay_visit, 16, FTW_PHYS)
                                     : replay_file(argv[i]);
        if (rc != 0)
            return 1;
    }
    printf("replayed %lu inputs\n", replay_count);
    return 0;
}
