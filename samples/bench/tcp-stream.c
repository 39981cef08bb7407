/* TCP throughput benchmark against a peer elsewhere (the host through the LibOS's gateway,
 * Linux over a TAP): connects to ADDR:PORT and moves N MiB (argv[3]) in 64 KiB blocks.
 *
 *   tcp-stream send ADDR PORT N   writes "send N\n" and N MiB, half-closes, then reads the
 *                                 peer's count of what it received ("BYTES\n")
 *   tcp-stream recv ADDR PORT N   writes "recv N\n", then reads N MiB until the peer's FIN
 *
 * The peer is bench/_tcp_peer.ts.  Exits 1 with the reason on stderr if any call fails or
 * a count differs (so a broken connection never yields a timing); prints nothing
 * otherwise.  N = 0 measures start-up and the connection alone; see bench/run.ts. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

static char buf[CHUNK];

static int fail(const char *what) {
    fprintf(stderr, "tcp-stream: %s: %s\n", what, errno ? strerror(errno) : "unexpected data");
    return 1;
}

static int write_all(int s, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(s, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads until end of file; the byte count, or -1. `keep` gets the first bytes (NUL-ended). */
static long long read_all(int s, char *keep, size_t keep_len) {
    long long got = 0;
    for (;;) {
        ssize_t r = read(s, buf, CHUNK);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) return got;
        if (keep != NULL && (size_t)got < keep_len - 1) {
            size_t n = (size_t)r < keep_len - 1 - (size_t)got ? (size_t)r : keep_len - 1 - (size_t)got;
            memcpy(keep + got, buf, n);
            keep[got + n] = 0;
        }
        got += r;
    }
}

int main(int argc, char **argv) {
    if (argc != 5 || (strcmp(argv[1], "send") != 0 && strcmp(argv[1], "recv") != 0)) {
        fprintf(stderr, "usage: tcp-stream send|recv ADDR PORT MIB\n");
        return 2;
    }
    int sending = strcmp(argv[1], "send") == 0;
    long mib = strtol(argv[4], NULL, 10);
    long long total = (long long)mib * 1024 * 1024;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)atoi(argv[3]));
    if (inet_pton(AF_INET, argv[2], &a.sin_addr) != 1) return fail("address");
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return fail("socket");
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) return fail("connect");
    char line[64];
    int n = snprintf(line, sizeof line, "%s %ld\n", argv[1], mib);
    if (write_all(s, line, (size_t)n) < 0) return fail("write");
    if (sending) {
        memset(buf, 'x', sizeof buf);
        for (long long left = total; left > 0; left -= CHUNK) {
            if (write_all(s, buf, left < CHUNK ? (size_t)left : CHUNK) < 0) return fail("write");
        }
        if (shutdown(s, SHUT_WR) < 0) return fail("shutdown");
        char reply[32] = "";
        if (read_all(s, reply, sizeof reply) < 0) return fail("read");
        errno = 0;
        if (strtoll(reply, NULL, 10) != total) return fail("the peer's count");
    } else {
        long long got = read_all(s, NULL, 0);
        if (got < 0) return fail("read");
        errno = 0;
        if (got != total) return fail("byte count");
    }
    return close(s) < 0 ? fail("close") : 0;
}
