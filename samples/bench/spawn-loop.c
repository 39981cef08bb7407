/* Process-creation benchmark: N times (N = argv[1], default 100) fork(), execvp() of
 * PROG [ARGS...] in the child, waitpid() in the parent.  Every child must exit with
 * status 0, else this prints why to stderr and exits 1 (so a broken fork/exec/wait
 * never yields a timing).  Prints nothing otherwise; the child's stdout is the
 * parent's.  `spawn-loop 0 PROG` measures start-up alone; see bench/run.ts.
 *
 *   spawn-loop 1000 samples/bench/true-musl */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: spawn-loop N PROG [ARGS...]\n");
        return 2;
    }
    long n = strtol(argv[1], NULL, 10);
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "spawn-loop: fork: %s\n", strerror(errno));
            return 1;
        }
        if (pid == 0) {
            execvp(argv[2], argv + 2);
            fprintf(stderr, "spawn-loop: execvp %s: %s\n", argv[2], strerror(errno));
            _exit(127);
        }
        int status;
        pid_t w;
        do
            w = waitpid(pid, &status, 0);
        while (w < 0 && errno == EINTR);
        if (w != pid) {
            fprintf(stderr, "spawn-loop: waitpid returned %ld: %s\n", (long)w, w < 0 ? strerror(errno) : "wrong pid");
            return 1;
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            if (WIFSIGNALED(status))
                fprintf(stderr, "spawn-loop: child killed by signal %d\n", WTERMSIG(status));
            else
                fprintf(stderr, "spawn-loop: child status 0x%x\n", status);
            return 1;
        }
    }
    return 0;
}
