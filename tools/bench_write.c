/*
 * bench_write — write throughput of the writer (ogawa/abc_write.h) against
 * plain write(2) of the same number of bytes, in one run.
 *
 *   bench_write [--objects N] [--verts V] [--frames F] [--fsync] [DIR]
 *
 * Writes the `abcgen mesh --objects N --verts V --frames F` archive
 * (defaults 1000, 1000, 24: about 290 MB) into DIR (default /tmp), timing
 * it from creation to close; then writes the same number of bytes with
 * write(2) in 1 MiB chunks to another file.  Both go to the page cache;
 * --fsync adds an fsync to both timings.  Prints MB/s (10^6 bytes per
 * second) of both, their ratio, and the peak resident memory, which shows
 * that the writer streams (it does not grow with the archive).  Both files
 * are removed.
 *
 * The writer's time includes generating the mesh data (cheap integer
 * arithmetic) and hashing every sample (Murmur3), as a real exporter's
 * would.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gen_archives.h"

static double
now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void
fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
        fprintf(stderr, "bench_write: fsync %s: %s\n", path, strerror(errno));
        exit(2);
    }
    close(fd);
}

/* write(2) of len bytes in 1 MiB chunks. */
static void
plain_write(const char *path, uint64_t len, int do_fsync)
{
    size_t chunk = 1u << 20;
    char *buf = malloc(chunk);
    if (!buf)
        exit(2);
    for (size_t k = 0; k < chunk; k++)
        buf[k] = (char)(k * 131);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        fprintf(stderr, "bench_write: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    while (len > 0) {
        size_t n = len < chunk ? (size_t)len : chunk;
        ssize_t r = write(fd, buf, n);
        if (r <= 0) {
            fprintf(stderr, "bench_write: write %s: %s\n", path, strerror(errno));
            exit(2);
        }
        len -= (uint64_t)r;
    }
    if (do_fsync && fsync(fd) != 0)
        exit(2);
    close(fd);
    free(buf);
}

int
main(int argc, char **argv)
{
    long objects = 1000, verts = 1000, frames = 24;
    int do_fsync = 0;
    const char *dir = "/tmp";
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--objects") == 0)
            objects = atol(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--verts") == 0)
            verts = atol(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--frames") == 0)
            frames = atol(argv[++i]);
        else if (strcmp(argv[i], "--fsync") == 0)
            do_fsync = 1;
        else if (argv[i][0] != '-')
            dir = argv[i];
        else {
            fprintf(stderr, "usage: bench_write [--objects N] [--verts V] [--frames F] "
                            "[--fsync] [DIR]\n");
            return 1;
        }
    }
    gen_set_prog("bench_write");
    char abc[4096], raw[4096];
    snprintf(abc, sizeof(abc), "%s/bench_write_%ld.abc", dir, (long)getpid());
    snprintf(raw, sizeof(raw), "%s/bench_write_%ld.raw", dir, (long)getpid());

    double t0 = now();
    gen_mesh(abc, objects, verts, frames);
    if (do_fsync)
        fsync_path(abc);
    double t_abc = now() - t0;
    struct stat st;
    if (stat(abc, &st) != 0)
        return 2;
    uint64_t len = (uint64_t)st.st_size;
    unlink(abc);

    t0 = now();
    plain_write(raw, len, do_fsync);
    double t_raw = now() - t0;
    unlink(raw);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double mb = (double)len / 1e6;
    printf("archive: mesh --objects %ld --verts %ld --frames %ld, %llu bytes (%.1f MB)%s\n",
           objects, verts, frames, (unsigned long long)len, mb, do_fsync ? ", with fsync" : "");
    printf("writer:  %.3f s  %.1f MB/s\n", t_abc, mb / t_abc);
    printf("write(): %.3f s  %.1f MB/s\n", t_raw, mb / t_raw);
    printf("ratio writer/write(): %.2f\n", (mb / t_abc) / (mb / t_raw));
    printf("peak RSS: %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
    return 0;
}
