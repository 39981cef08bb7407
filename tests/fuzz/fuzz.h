/* The syscall fuzzer's shared declarations: the options, the record a child shares with
 * the parent that supervises it, the per-call random generator and the raw syscall.
 * syscall_fuzz.c holds the parent (the campaign), fuzz_child.c a child's call loop. */

#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <sys/types.h>
#include "tables.h"

struct options {
  uint64_t seed;       /* the campaign's seed; call i's arguments derive from (seed, i) only */
  uint64_t first;      /* index of the first call */
  uint64_t calls;      /* how many calls to make */
  uint64_t chunk;      /* a child makes at most this many calls, from a multiple of chunk */
  uint64_t progress;   /* print a progress line every this many calls */
  int watchdog_ms;     /* a child that makes no progress for this long is killed */
  int trace;           /* children print each call and its result on stderr */
  pid_t parent;        /* the parent's pid and process group: never signalled */
  pid_t parent_group;
};

/* In MAP_SHARED memory: written by the child, read by the parent after the child ends. */
struct shared {
  volatile uint64_t current;  /* the call in progress, or the next one */
  volatile uint64_t in_call;  /* 1 while `current` is inside the kernel */
  volatile uint64_t nr;       /* its syscall number */
  volatile uint64_t ready;    /* 1 once the child's setup is done */
  uint64_t by_syscall[SYSCALL_MAX + 2]; /* last slot: numbers outside the table */
  uint64_t by_result[ERRNO_MAX + 2];    /* [0] success, [e] errno e, last slot: other errors */
};

void child_run(const struct options *opt, struct shared *sh, uint64_t from, uint64_t to)
    __attribute__((noreturn));

/* splitmix64: small, fast, and good enough to spread one seed over many calls. */
static inline uint64_t next_random(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static inline const char *syscall_name(uint64_t nr) {
  return nr <= SYSCALL_MAX && syscall_info[nr].name ? syscall_info[nr].name : "(none)";
}

#endif
