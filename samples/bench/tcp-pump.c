/* TCP throughput benchmark over the loopback: listens on 127.0.0.1 (a port of the
 * kernel's choosing), forks a child that connects and writes N MiB (N = argv[1], default
 * 256) in 64 KiB write()s; the parent accepts and read()s them in 64 KiB reads until end
 * of file, then waits for the child.  Exits 1 with the reason on stderr if any call
 * fails, the byte count differs or the child does not exit 0 (so a broken connection
 * never yields a timing).  Prints nothing otherwise.  `tcp-pump 0` measures start-up,
 * the connection, fork and wait alone; see bench/run.ts. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

static char buf[CHUNK];

static int fail(const char *what) {
    fprintf(stderr, "tcp-pump: %s: %s\n", what, strerror(errno));
    return 1;
}

int main(int argc, char **argv) {
    long mib = argc > 1 ? strtol(argv[1], NULL, 10) : 256;
    long long total = (long long)mib * 1024 * 1024;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    if (ls < 0) return fail("socket");
    if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0) return fail("bind");
    if (listen(ls, 1) < 0) return fail("listen");
    if (getsockname(ls, (struct sockaddr *)&a, &len) < 0) return fail("getsockname");
    pid_t pid = fork();
    if (pid < 0) return fail("fork");
    if (pid == 0) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0) _exit(fail("connect"));
        memset(buf, 'x', sizeof buf);
        long long left = total;
        while (left > 0) {
            size_t want = left < CHUNK ? (size_t)left : CHUNK;
            ssize_t w = write(s, buf, want);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) _exit(fail("write"));
            left -= w;
        }
        _exit(close(s) < 0 ? fail("close") : 0);
    }
    int c = accept(ls, NULL, NULL);
    if (c < 0) return fail("accept");
    long long got = 0;
    for (;;) {
        ssize_t r = read(c, buf, CHUNK);
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
        fprintf(stderr, "tcp-pump: writer status 0x%x\n", status);
        return 1;
    }
    if (got != total) {
        fprintf(stderr, "tcp-pump: read %lld bytes, expected %lld\n", got, total);
        return 1;
    }
    return 0;
}
