/* A seeded syscall fuzzer, meant to run under the LibOS (it refuses to run natively
 * unless given --native, since it renames, truncates and mounts whatever its paths name).
 *
 *   syscall_fuzz [--seed N] [--calls N] [--from I] [--chunk N] [--watchdog MS]
 *                [--progress N] [--trace] [--native]
 *
 * The parent makes no fuzzed call itself. It forks a child per chunk of calls (fuzz_child.c)
 * and supervises it: a child that dies (by a signal, exit, exec) is replaced by a new one
 * that goes on from the call after the one that ended it; a child that makes no progress
 * for --watchdog ms (a call that blocks for ever, a loop after a fuzzed rt_sigreturn) is
 * killed with SIGKILL and replaced the same way. Call i's number and arguments depend
 * only on (seed, i), so one call replays with `--from i --calls 1 --trace`.
 *
 * Output on stdout: progress lines, one line per child death (the first ones), and a
 * summary: calls made, children, deaths by signal, watchdog kills, results by errno,
 * calls by syscall. Exit status 0 when every call was made. */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

#define TICK_MS 100
#define DEATHS_SHOWN 100
#define PROGRESS_EVERY_MS 10000
#define SIGKILL_GRACE_MS 30000

struct tally {
  uint64_t children, exits, watchdog_kills, deaths_shown, fork_failures, setup_failures;
  uint64_t by_signal[65];
  uint64_t by_syscall[SYSCALL_MAX + 2];
  uint64_t by_result[ERRNO_MAX + 2];
};

static void usage(void) {
  fputs("usage: syscall_fuzz [--seed N] [--calls N] [--from I] [--chunk N] [--watchdog MS]\n"
        "                    [--progress N] [--trace] [--native]\n", stderr);
  exit(2);
}

static uint64_t number(const char *s) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || *end || !*s) usage();
  return v;
}

static void parse(int argc, char **argv, struct options *opt, int *native) {
  *opt = (struct options){.seed = 1, .calls = 1000000, .chunk = 1000, .progress = 10000, .watchdog_ms = 250};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--trace")) opt->trace = 1;
    else if (!strcmp(a, "--native")) *native = 1;
    else if (i + 1 >= argc) usage();
    else if (!strcmp(a, "--seed")) opt->seed = number(argv[++i]);
    else if (!strcmp(a, "--calls")) opt->calls = number(argv[++i]);
    else if (!strcmp(a, "--from")) opt->first = number(argv[++i]);
    else if (!strcmp(a, "--chunk")) opt->chunk = number(argv[++i]);
    else if (!strcmp(a, "--progress")) opt->progress = number(argv[++i]);
    else if (!strcmp(a, "--watchdog")) opt->watchdog_ms = (int)number(argv[++i]);
    else usage();
  }
  if (!opt->chunk || !opt->progress || opt->watchdog_ms <= 0) usage();
}

/* The LibOS's /proc/version says "(libos)". */
static int under_libos(void) {
  char buf[256] = {0};
  int fd = open("/proc/version", O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 0 && strstr(buf, "(libos)") != NULL;
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_tick(int sig) { (void)sig; }

/* Signals that reach the parent from a child: a child must not be able to send them. */
static volatile uint64_t parent_signals[65];

static void on_signal(int sig) { parent_signals[sig]++; }

static const char *signal_name(int sig) {
  static const char *const names[32] = {
      "0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
      "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
      "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
      "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"};
  static char rt[12];
  if (sig >= 0 && sig < 32) return names[sig];
  snprintf(rt, sizeof rt, "SIGRT%d", sig - 32);
  return rt;
}

/* Wake from wait4 every TICK_MS to watch the child's progress. Count every other signal
 * but SIGCHLD, so that a child that reaches the parent shows; SIGHUP, SIGINT, SIGQUIT and
 * SIGTERM keep their default action, so the campaign can be stopped (and a child that
 * sends one ends it, which shows too). */
static void start_ticks(void) {
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  for (int sig = 1; sig < 65; sig++)
    if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD && sig != SIGALRM && sig != SIGHUP && sig != SIGINT &&
        sig != SIGQUIT && sig != SIGTERM)
      sigaction(sig, &sa, NULL);
  sa.sa_handler = on_tick; /* no SA_RESTART: wait4 returns EINTR */
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, TICK_MS * 1000}, {0, TICK_MS * 1000}};
  setitimer(ITIMER_REAL, &it, NULL);
}

static uint64_t progress_shown, progress_at;

static void show_progress(const struct options *opt, uint64_t done, int force) {
  uint64_t t = now_ms();
  if (!force && done - progress_shown < opt->progress && t - progress_at < PROGRESS_EVERY_MS) return;
  printf("fuzz: progress %llu/%llu calls\n", (unsigned long long)done, (unsigned long long)opt->calls);
  fflush(stdout);
  progress_shown = done;
  progress_at = t;
}

/* Wait for the child, reaping orphans it left; kill it when it stops making progress.
 * Returns its wait status and whether the watchdog killed it. */
static int supervise(pid_t child, const struct options *opt, struct shared *sh, int *killed) {
  uint64_t seen = sh->current, changed_at = now_ms(), killed_at = 0;
  *killed = 0;
  for (;;) {
    int status;
    pid_t r = waitpid(-1, &status, 0);
    if (r == child) return status;
    if (r > 0) continue;
    if (errno != EINTR) {
      fprintf(stderr, "fuzz: waitpid: %s\n", strerror(errno));
      exit(3);
    }
    uint64_t t = now_ms(), cur = sh->current;
    if (cur != seen) {
      seen = cur;
      changed_at = t;
    } else if (!*killed && t - changed_at >= (uint64_t)opt->watchdog_ms) {
      kill(child, SIGKILL);
      *killed = 1;
      killed_at = t;
    } else if (*killed && t - killed_at >= SIGKILL_GRACE_MS) {
      fprintf(stderr, "fuzz: child %d still alive %d s after SIGKILL\n", (int)child, SIGKILL_GRACE_MS / 1000);
      exit(3);
    }
    if (cur >= opt->first) show_progress(opt, cur - opt->first, 0);
  }
}

static void add_counts(struct tally *t, const struct shared *sh) {
  for (int i = 0; i < SYSCALL_MAX + 2; i++) t->by_syscall[i] += sh->by_syscall[i];
  for (int i = 0; i < ERRNO_MAX + 2; i++) t->by_result[i] += sh->by_result[i];
}

static void summary(const struct options *opt, const struct tally *t) {
  uint64_t returned = 0, deaths = 0;
  for (int i = 0; i < SYSCALL_MAX + 2; i++) returned += t->by_syscall[i];
  for (int i = 0; i < 65; i++) deaths += t->by_signal[i];
  printf("fuzz: summary seed %llu calls %llu returned %llu children %llu died-by-signal %llu watchdog-kills %llu exits %llu setup-failures %llu\n",
         (unsigned long long)opt->seed, (unsigned long long)opt->calls, (unsigned long long)returned,
         (unsigned long long)t->children,
         (unsigned long long)deaths, (unsigned long long)t->watchdog_kills, (unsigned long long)t->exits, (unsigned long long)t->setup_failures);
  printf("fuzz: signals");
  for (int i = 1; i < 65; i++)
    if (t->by_signal[i]) printf(" %s=%llu", signal_name(i), (unsigned long long)t->by_signal[i]);
  printf("\nfuzz: parent-signals");
  for (int i = 1; i < 65; i++)
    if (parent_signals[i]) printf(" %s=%llu", signal_name(i), (unsigned long long)parent_signals[i]);
  printf("\nfuzz: results ok=%llu", (unsigned long long)t->by_result[0]);
  for (int e = 1; e <= ERRNO_MAX + 1; e++)
    if (t->by_result[e]) printf(" %s=%llu", e <= ERRNO_MAX && errno_names[e] ? errno_names[e] : "other", (unsigned long long)t->by_result[e]);
  printf("\nfuzz: syscalls");
  for (int nr = 0; nr <= SYSCALL_MAX + 1; nr++)
    if (t->by_syscall[nr]) printf(" %s=%llu", nr <= SYSCALL_MAX ? syscall_name(nr) : "unknown", (unsigned long long)t->by_syscall[nr]);
  printf("\n");
}

/* A child that ended early ended in call `current`; the next child starts after it. */
static uint64_t after_child(int status, int killed, const struct shared *sh, uint64_t from, uint64_t to, struct tally *t) {
  uint64_t cur = sh->current;
  if (cur < from || cur > to) cur = from; /* the record was overwritten: skip one call */
  if (cur == to && WIFEXITED(status) && WEXITSTATUS(status) == 0) return to;
  char how[48];
  if (!sh->ready) {
    /* It never reached its first call: that call is skipped, and counted. */
    t->setup_failures++;
    if (t->deaths_shown++ < DEATHS_SHOWN) printf("fuzz: call %llu: child ended in its setup\n", (unsigned long long)cur);
    return cur + 1;
  }
  if (killed) {
    t->watchdog_kills++;
    snprintf(how, sizeof how, "made no progress: killed by the watchdog");
  } else if (WIFSIGNALED(status)) {
    t->by_signal[WTERMSIG(status) & 63]++;
    snprintf(how, sizeof how, "died by %s", signal_name(WTERMSIG(status)));
  } else {
    t->exits++;
    snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(status));
  }
  if (t->deaths_shown++ < DEATHS_SHOWN)
    printf("fuzz: call %llu (%s): child %s\n", (unsigned long long)cur, syscall_name(sh->nr), how);
  return cur + 1;
}

int main(int argc, char **argv) {
  struct options opt;
  int native = 0;
  parse(argc, argv, &opt, &native);
  if (!native && !under_libos()) {
    fputs("syscall_fuzz: not running under the LibOS; refusing to fuzz the host (--native forces it)\n", stderr);
    return 2;
  }
  struct shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sh == MAP_FAILED) {
    perror("syscall_fuzz: mmap");
    return 3;
  }
  static struct tally tally;
  opt.parent = getpid();
  opt.parent_group = getpgrp();
  start_ticks();
  printf("fuzz: seed %llu calls %llu from %llu\n", (unsigned long long)opt.seed, (unsigned long long)opt.calls,
         (unsigned long long)opt.first);
  fflush(stdout);
  progress_at = now_ms();

  uint64_t end = opt.first + opt.calls;
  for (uint64_t next = opt.first; next < end;) {
    uint64_t to = (next / opt.chunk + 1) * opt.chunk;
    if (to > end) to = end;
    memset(sh, 0, sizeof *sh);
    sh->current = next;
    pid_t pid = fork();
    if (pid == 0) child_run(&opt, sh, next, to);
    if (pid < 0) {
      if (++tally.fork_failures > 100) {
        fprintf(stderr, "fuzz: fork keeps failing: %s\n", strerror(errno));
        return 3;
      }
      continue;
    }
    tally.children++;
    int killed, status = supervise(pid, &opt, sh, &killed);
    add_counts(&tally, sh);
    next = after_child(status, killed, sh, next, to, &tally);
    show_progress(&opt, next - opt.first, 0);
  }
  show_progress(&opt, opt.calls, 1);
  summary(&opt, &tally);
  return 0;
}
