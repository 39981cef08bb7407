/* Syscall round-trip benchmark: getppid() N times (N = argv[1], default 1000000),
 * prints nothing.  `getppid-loop 0` measures start-up alone; see bench/run.ts. */
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    for (long i = 0; i < n; i++)
        syscall(SYS_getppid);
    return 0;
}
