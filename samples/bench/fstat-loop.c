/* One fs-task request per iteration: fstat() of FILE (argv[2]) N times (N = argv[1]).
 * Under the LibOS the kernel-task asks the file's fs-task for the attributes each time,
 * so the difference between fs modes is the round trip of one request; see bench/run.ts. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    long n = strtol(argv[1], NULL, 10);
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) { perror("open"); return 1; }
    struct stat st;
    for (long i = 0; i < n; i++)
        if (fstat(fd, &st) != 0) { perror("fstat"); return 1; }
    return 0;
}
