/* The bare syscall path: N getppid calls with the `syscall` instruction inline, no libc
 * wrapper, so the figure is the cost of the trap and its answer alone.
 * `getppid-raw 0` measures start-up alone; see bench/run.ts. */
#include <stdlib.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    for (long i = 0; i < n; i++) {
        long ret;
        __asm__ volatile("syscall" : "=a"(ret) : "a"(110L) : "rcx", "r11", "memory");
    }
    return 0;
}
