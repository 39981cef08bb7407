/* A busy loop without syscalls: argv[1] million iterations of a dependent multiply-add,
 * then one write of the result (so the loop cannot be optimised away). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long n = (argc > 1 ? atol(argv[1]) : 100) * 1000000L;
    unsigned long x = 1;
    for (long i = 0; i < n; i++) x = x * 6364136223846793005UL + 1442695040888963407UL;
    printf("%lu\n", x);
    return 0;
}
