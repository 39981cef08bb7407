/* Fork cost of a large process: mallocs MIB MiB (MIB = argv[2], default 64) and writes
 * every byte, then K times (K = argv[1], default 100) fork()s a child that checks two
 * bytes of the block and _exit(0)s, and waitpid()s it.  Exits 1 with the reason on
 * stderr if any call fails or a child does not exit 0 (so a broken fork never yields a
 * timing).  Prints nothing otherwise.  `fork-big 0` measures start-up and the set-up of
 * the block alone; see bench/run.ts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long k = argc > 1 ? strtol(argv[1], NULL, 10) : 100;
    long mib = argc > 2 ? strtol(argv[2], NULL, 10) : 64;
    size_t size = (size_t)mib * 1024 * 1024;
    volatile unsigned char *block = malloc(size ? size : 1);
    if (!block) {
        fprintf(stderr, "fork-big: malloc %ld MiB failed\n", mib);
        return 1;
    }
    memset((void *)block, 0x5a, size);
    for (long i = 0; i < k; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "fork-big: fork: %s\n", strerror(errno));
            return 1;
        }
        if (pid == 0)
            _exit(size == 0 || (block[0] == 0x5a && block[size - 1] == 0x5a) ? 0 : 3);
        int status;
        pid_t w;
        do
            w = waitpid(pid, &status, 0);
        while (w < 0 && errno == EINTR);
        if (w != pid) {
            fprintf(stderr, "fork-big: waitpid: %s\n", w < 0 ? strerror(errno) : "wrong pid");
            return 1;
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "fork-big: child status 0x%x (3: it saw the wrong memory)\n", status);
            return 1;
        }
    }
    return 0;
}
