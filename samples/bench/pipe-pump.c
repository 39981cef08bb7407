/* Pipe throughput benchmark: forks a child that writes N MiB (N = argv[1], default
 * 256) into a pipe in 64 KiB write()s; the parent read()s it in 64 KiB reads until
 * end of file, then waits for the child.  Exits 1 with the reason on stderr if any
 * call fails, the byte count differs or the child does not exit 0 (so a broken pipe
 * never yields a timing).  Prints nothing otherwise.  `pipe-pump 0` measures
 * start-up, fork and wait alone; see bench/run.ts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

static char buf[CHUNK];

static int fail(const char *what) {
    fprintf(stderr, "pipe-pump: %s: %s\n", what, strerror(errno));
    return 1;
}

int main(int argc, char **argv) {
    long mib = argc > 1 ? strtol(argv[1], NULL, 10) : 256;
    long long total = (long long)mib * 1024 * 1024;
    int fd[2];
    if (pipe(fd) < 0) return fail("pipe");
    pid_t pid = fork();
    if (pid < 0) return fail("fork");
    if (pid == 0) {
        close(fd[0]);
        memset(buf, 'x', sizeof buf);
        long long left = total;
        while (left > 0) {
            size_t want = left < CHUNK ? (size_t)left : CHUNK;
            ssize_t w = write(fd[1], buf, want);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                fprintf(stderr, "pipe-pump: write: %s\n", w < 0 ? strerror(errno) : "wrote 0");
                _exit(1);
            }
            left -= w;
        }
        _exit(0);
    }
    close(fd[1]);
    long long got = 0;
    for (;;) {
        ssize_t r = read(fd[0], buf, CHUNK);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return fail("read");
        if (r == 0) break;
        got += r;
    }
    int status;
    pid_t w;
    do
        w = waitpid(pid, &status, 0);
    while (w < 0 && errno == EINTR);
    if (w != pid) return fail("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "pipe-pump: writer status 0x%x\n", status);
        return 1;
    }
    if (got != total) {
        fprintf(stderr, "pipe-pump: read %lld bytes, expected %lld\n", got, total);
        return 1;
    }
    return 0;
}
