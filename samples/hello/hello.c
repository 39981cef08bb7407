/* A small static program for the LibOS: stdio, floating point (x87/SSE state at start-up),
 * arguments and environment.  Built against musl and glibc; see ../README.md. */
#include <stdio.h>

#if defined(__GLIBC__)
#define LIBC "glibc"
#else
#define LIBC "musl"
#endif

extern char **environ;

int main(int argc, char **argv) {
    printf("Hello from %s!\n", LIBC);
    printf("pi = %f\n", 3.14159265358979323846);
    printf("argc = %d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d] = %s\n", i, argv[i]);
    int envc = 0;
    for (char **e = environ; *e; e++)
        envc++;
    printf("envc = %d\n", envc);
    for (char **e = environ; *e; e++)
        printf("env: %s\n", *e);
    return 0;
}
