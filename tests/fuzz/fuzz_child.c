/* A fuzzing child: it opens its own resources (files, a directory, pipes, /dev/null, an
 * eventfd and a memfd when the kernel has them, AF_INET sockets over 127.0.0.1 in every
 * state a program reaches and an AF_UNIX pair), lays out memory to point at (a heap on
 * brk, a stack area, a read-only page, a hole, a PROT_NONE page, strings, iovec arrays),
 * then makes its share of the calls with raw `syscall`. Call i's number and arguments
 * depend only on (seed, i) and this fixed layout, so `--from i --calls 1 --trace` replays
 * one call. After setup the loop never touches libc or TLS: a fuzzed arch_prctl may have
 * moved %fs, and fuzzed calls may have closed any descriptor or unmapped any page. */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "fuzz.h"

#define PAGE 4096UL
#define HEAP_SIZE (256 * 1024UL)
#define DATA_SIZE (64 * 1024UL)   /* heap [0, 64K): a plain data buffer */
#define IOV_OFFSET DATA_SIZE       /* heap [64K, 96K): 2048 iovecs */
#define IOV_COUNT 2048
#define STRUCT_OFFSET (96 * 1024UL) /* heap [96K, 100K): words for struct arguments */
#define STRUCT_WORDS 512
#define ARGV_OFFSET (100 * 1024UL)  /* heap [100K, 104K): string arrays; sockaddrs at +64 */
#define SOCKADDR_OFFSET (ARGV_OFFSET + 64)
#define STRINGS_OFFSET (104 * 1024UL) /* heap [104K, 256K): the path strings */
#define STACK_AREA 32768
#define MAX_FDS 24
#define MAX_PATHS 40
#define MAX_ADDRS 48

/* Calls left out by design: they reach outside the guest when run natively (reboot,
 * modules, swap, clocks, host names, I/O ports, accounting), or act on another process
 * by pid (ptrace, process_vm_*, pidfd_*, kcmp), which here would be the parent. */
static const uint16_t excluded[] = {
    101 /* ptrace */, 103 /* syslog */, 153 /* vhangup */, 155 /* pivot_root */, 159 /* adjtimex */,
    163 /* acct */, 164 /* settimeofday */, 167 /* swapon */, 168 /* swapoff */, 169 /* reboot */,
    170 /* sethostname */, 171 /* setdomainname */, 172 /* iopl */, 173 /* ioperm */,
    175 /* init_module */, 176 /* delete_module */, 179 /* quotactl */, 227 /* clock_settime */,
    246 /* kexec_load */, 305 /* clock_adjtime */, 310 /* process_vm_readv */,
    311 /* process_vm_writev */, 312 /* kcmp */, 313 /* finit_module */, 320 /* kexec_file_load */,
    424 /* pidfd_send_signal */, 434 /* pidfd_open */, 438 /* pidfd_getfd */,
    440 /* process_madvise */, 448 /* process_mrelease */,
};

/* Calls made 16 times less often: each ends, replaces or stops the child on purpose,
 * and a new child costs a fork. */
static const uint16_t rare[] = {
    SYS_rt_sigreturn, SYS_fork, SYS_vfork, SYS_clone, SYS_clone3, SYS_execve, SYS_execveat,
    SYS_exit, SYS_exit_group, SYS_kill, SYS_tkill, SYS_tgkill, SYS_rt_sigqueueinfo,
    SYS_rt_tgsigqueueinfo, SYS_munmap, SYS_mremap,
};

/* Calls made 64 times less often: they wait for a signal that never comes, so each
 * costs a watchdog period. */
static const uint16_t waits[] = {SYS_pause, SYS_rt_sigsuspend};

static const uint64_t boundary[] = {
    0, 1, 2, 3, 8, 16, 255, 256, 1023, 1024, 1025, 4095, 4096, 4097, 65536,
    0x7fffffffULL, 0x80000000ULL, 0xffffffffULL, 0x100000000ULL, 0x7ffff000ULL /* MAX_RW_COUNT */,
    1ULL << 53, (1ULL << 53) + 1, 1ULL << 62, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
    (uint64_t)-1, (uint64_t)-2, (uint64_t)-100 /* AT_FDCWD */, (uint64_t)-4096, (uint64_t)-4095,
    0x7ffffffff000ULL,
};

/* Path strings: ordinary names under fz/, names that climb out, long and non-UTF-8 ones. */
static const char *const path_templates[] = {
    "fz/file", "fz/dir", "fz/dir/x", "fz/link", "/tmp/fz/fifo", "fz/new", "fz/dir/", "fz/file/x",
    "//fz//dir//", ".", "..", "", "/", "/tmp", "/tmp/fz", "/tmp/fz/a", "/dev/null", "/dev/zero",
    "/proc/self/fd/3", "/proc/self/maps", "/proc/self/cwd/fz", "/proc/self/root/..", "/etc/passwd",
    "../../../../../../../../../../etc/passwd", "fz/../../../../../../../..", "fz/\xff\xfe\x80",
    "fz/n\xc3\x28", "fz/\x01\x7f\xc0\xaf",
};

struct pool {
  uint8_t *heap;
  uint64_t fds[MAX_FDS];
  int nfds;
  uint64_t paths[MAX_PATHS];
  int npaths;
  uint64_t addrs[MAX_ADDRS];
  int naddrs;
  uint64_t hole; /* an unmapped page, with mapped pages on both sides */
};

static inline long raw_syscall(uint64_t nr, const uint64_t a[6]) {
  register uint64_t r10 __asm__("r10") = a[3];
  register uint64_t r8 __asm__("r8") = a[4];
  register uint64_t r9 __asm__("r9") = a[5];
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

/* fork, vfork, clone, clone3: the new task exits at once with exit(0), before it touches
 * memory, so a shared or garbage stack and a garbage TLS do not matter to it. */
static inline long raw_fork_like(uint64_t nr, const uint64_t a[6]) {
  register uint64_t r10 __asm__("r10") = a[3];
  register uint64_t r8 __asm__("r8") = a[4];
  register uint64_t r9 __asm__("r9") = a[5];
  long ret;
  __asm__ volatile("syscall\n\t"
                   "test %%rax, %%rax\n\t"
                   "jnz 1f\n\t"
                   "mov $60, %%eax\n\t"
                   "xor %%edi, %%edi\n\t"
                   "syscall\n"
                   "1:"
                   : "=a"(ret)
                   : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

static int listed(const uint16_t *list, unsigned n, uint64_t nr) {
  for (unsigned i = 0; i < n; i++)
    if (list[i] == nr) return 1;
  return 0;
}

/* ----- the layout ---------------------------------------------------------------- */

static void add_fd(struct pool *p, int fd) {
  if (fd >= 0 && p->nfds < MAX_FDS) p->fds[p->nfds++] = (uint64_t)fd;
}

static void add_addr(struct pool *p, uint64_t addr) {
  if (p->naddrs < MAX_ADDRS) p->addrs[p->naddrs++] = addr;
}

/* Earlier children may have renamed, replaced or chmod-ed any of these: every open is
 * non-blocking (a FIFO renamed to fz/file must not stop the setup) and may fail. Files
 * that earlier children grew (a fallocate of the whole memory quota on /tmp) are emptied
 * first, so that one child's data does not stay charged for the rest of the campaign. */
static void open_resources(struct pool *p) {
  for (unsigned i = 0; i < sizeof path_templates / sizeof *path_templates; i++)
    if (!strncmp(path_templates[i], "fz/", 3) || !strncmp(path_templates[i], "/tmp/fz/", 8)) truncate(path_templates[i], 0);
  mkdir("fz", 0755);
  mkdir("fz/dir", 0755);
  mkdir("/tmp/fz", 0755);
  symlink("file", "fz/link");
  /* On tmpfs, where the kernel-task serves FIFOs: a host FIFO read that blocks holds a host
   * thread the LibOS cannot take back, so the host process cannot exit (a known finding). */
  mkfifo("/tmp/fz/fifo", 0644);
  int fd = open("fz/file", O_RDWR | O_CREAT | O_NONBLOCK, 0644);
  if (fd >= 0 && write(fd, "fuzz file contents\n", 19) < 0) { /* best effort */ }
  add_fd(p, fd);
  add_fd(p, open("fz/file", O_RDONLY | O_NONBLOCK));
  add_fd(p, open("fz", O_RDONLY | O_DIRECTORY | O_NONBLOCK));
  add_fd(p, open(".", O_PATH));
  add_fd(p, open("/tmp/fz/a", O_RDWR | O_CREAT | O_NONBLOCK, 0600));
  add_fd(p, open("/dev/null", O_RDWR | O_NONBLOCK));
  add_fd(p, open("/dev/zero", O_RDONLY | O_NONBLOCK));
  add_fd(p, open("/proc/self/maps", O_RDONLY | O_NONBLOCK));
  int pipefd[2];
  if (pipe2(pipefd, O_NONBLOCK) == 0) {
    add_fd(p, pipefd[0]);
    add_fd(p, pipefd[1]);
  }
  add_fd(p, (int)syscall(SYS_eventfd2, 0, 0));
  add_fd(p, (int)syscall(SYS_memfd_create, "fuzz", 0));
  add_fd(p, 0);
}

/* Sockets over 127.0.0.1, non-blocking: a TCP listener, a client connecting to it and the
 * accepted end (when the handshake is over by then), a fresh TCP socket, a bound UDP socket
 * and one connected to it, an AF_UNIX stream pair. The listener's and the UDP socket's
 * addresses go to the heap (SOCKADDR_OFFSET) for connect, bind and sendto to find. Each
 * may fail (an earlier call may have left no descriptors). */
static void open_sockets(struct pool *p) {
  struct sockaddr_in *addrs = (struct sockaddr_in *)(p->heap + SOCKADDR_OFFSET);
  struct sockaddr_in any = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  const int nb = SOCK_NONBLOCK | SOCK_CLOEXEC;
  for (int udp = 0; udp < 2; udp++) {
    socklen_t len = sizeof any;
    int s = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | nb, 0);
    addrs[udp] = any;
    if (s < 0 || bind(s, (struct sockaddr *)&addrs[udp], sizeof any) < 0 || (!udp && listen(s, 8) < 0) ||
        getsockname(s, (struct sockaddr *)&addrs[udp], &len) < 0) {
      if (s >= 0) close(s);
      continue;
    }
    add_fd(p, s);
    int c = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | nb, 0);
    if (c >= 0 && connect(c, (struct sockaddr *)&addrs[udp], sizeof any) < 0 && !udp) { /* EINPROGRESS */ }
    add_fd(p, c);
    if (!udp) add_fd(p, accept4(s, NULL, NULL, nb));
  }
  add_fd(p, socket(AF_INET, SOCK_STREAM | nb, 0));
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | nb, 0, pair) == 0) {
    add_fd(p, pair[0]);
    add_fd(p, pair[1]);
  }
  add_addr(p, (uint64_t)&addrs[0]);
  add_addr(p, (uint64_t)&addrs[1]);
}

/* The heap grows by brk; its end is the brk end, the page after it unmapped. */
static uint8_t *grow_heap(void) {
  uintptr_t start = (uintptr_t)syscall(SYS_brk, 0);
  start = (start + PAGE - 1) & ~(PAGE - 1);
  if ((uintptr_t)syscall(SYS_brk, start + HEAP_SIZE) < start + HEAP_SIZE) return NULL;
  return (uint8_t *)start;
}

static void lay_out_strings(struct pool *p) {
  uint8_t *s = p->heap + STRINGS_OFFSET, *end = p->heap + HEAP_SIZE;
  for (unsigned i = 0; i < sizeof path_templates / sizeof *path_templates; i++) {
    size_t n = strlen(path_templates[i]) + 1;
    memcpy(s, path_templates[i], n);
    p->paths[p->npaths++] = (uint64_t)s;
    s += n;
  }
  /* A 300-byte component, a path of PATH_MAX - 1 and of PATH_MAX bytes, one of 64 KiB. */
  static const size_t long_lengths[] = {300, 4095, 4096, 65536};
  for (unsigned i = 0; i < 4; i++) {
    size_t n = long_lengths[i];
    if (s + n + 1 > end) break;
    memcpy(s, "fz/", 3);
    for (size_t j = 3; j < n; j++) s[j] = i == 0 ? 'a' : (j % 2 ? '/' : 'a');
    s[n] = 0;
    p->paths[p->npaths++] = (uint64_t)s;
    s += n + 1;
  }
}

static void lay_out_memory(struct pool *p, uint8_t *stack_area) {
  uint8_t *ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  uint8_t *three = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ro != MAP_FAILED) {
    memcpy(ro, "fz/file", 8);
    mprotect(ro, PAGE, PROT_READ);
    p->paths[p->npaths++] = (uint64_t)ro;
    add_addr(p, (uint64_t)ro);
    add_addr(p, (uint64_t)ro + 1);
  }
  if (three != MAP_FAILED) {
    /* page 0 mapped, page 1 a hole, page 2 PROT_NONE */
    munmap(three + PAGE, PAGE);
    mprotect(three + 2 * PAGE, PAGE, PROT_NONE);
    p->hole = (uint64_t)three + PAGE;
    memset(three + PAGE - 16, 'a', 16); /* a string with no NUL before the hole */
    p->paths[p->npaths++] = p->hole - 16;
    add_addr(p, p->hole);
    add_addr(p, p->hole - 8);  /* a struct that straddles the end of a mapping */
    add_addr(p, p->hole - 1);
    add_addr(p, p->hole + PAGE); /* PROT_NONE */
  }
  uint64_t heap = (uint64_t)p->heap;
  add_addr(p, heap);
  add_addr(p, heap + 1);
  add_addr(p, heap + DATA_SIZE - 8);
  add_addr(p, heap + HEAP_SIZE - 8); /* straddles the brk end */
  add_addr(p, heap + HEAP_SIZE);
  add_addr(p, (uint64_t)stack_area);
  add_addr(p, (uint64_t)stack_area + 3);
  add_addr(p, (uint64_t)&child_run); /* code: mapped, not writable */
  static const uint64_t fixed[] = {
      0, 1, 0xfff, 0x1000, 0x10000,                           /* the NULL page and below the image */
      0x00007ffffffff000ULL, 0x00007ffffffffff8ULL, 0x00007fffffffffffULL, /* the top of user space */
      0x0000800000000000ULL, 0x8000000000000000ULL, 0xffff800000000000ULL, /* non-canonical, kernel */
      0xffffffffff600000ULL /* vsyscall */, 0xfffffffffffff000ULL, (uint64_t)-1,
  };
  for (unsigned i = 0; i < sizeof fixed / sizeof *fixed; i++) add_addr(p, fixed[i]);
}

/* iovec arrays: the tail keeps a fixed mix of good, huge and bad entries; each call
 * rewrites the first few. */
static void lay_out_iovecs(struct pool *p) {
  uint64_t *iov = (uint64_t *)(p->heap + IOV_OFFSET);
  for (unsigned i = 0; i < IOV_COUNT; i++) {
    static const uint64_t lens[] = {4096, 0x7ffff000 /* MAX_RW_COUNT */, 0, 16};
    iov[2 * i] = i % 4 == 3 ? p->hole : (uint64_t)p->heap;
    iov[2 * i + 1] = lens[i % 4];
  }
}

/* NULL-terminated arrays of strings, and one that runs into the hole. */
static void lay_out_argv(struct pool *p) {
  uint64_t *argv = (uint64_t *)(p->heap + ARGV_OFFSET);
  argv[0] = p->paths[0];
  argv[1] = p->paths[1];
  argv[2] = 0;
  if (p->hole) {
    uint64_t *tail = (uint64_t *)(p->hole - 16);
    tail[0] = p->paths[0];
    tail[1] = p->paths[2];
  }
}

/* ----- the arguments ------------------------------------------------------------- */

#define PICK(array, r) ((array)[(r) % (sizeof(array) / sizeof *(array))])

static uint64_t gen_int(uint64_t *rng) {
  uint64_t r = next_random(rng), v = next_random(rng);
  switch (r % 8) {
  case 0: case 1: case 2: return PICK(boundary, v);
  case 3: return v & 0xff;
  case 4: return (uint32_t)v;
  case 5: return v;
  case 6: return 1ULL << (v % 64);
  default: return -(v & 0xff);
  }
}

static uint64_t gen_length(uint64_t *rng) {
  uint64_t r = next_random(rng), v = next_random(rng);
  switch (r % 6) {
  case 0: case 1: case 2: return PICK(boundary, v);
  case 3: return v % (2 * PAGE);
  case 4: return r & 1 ? DATA_SIZE : PAGE;
  default: return v;
  }
}

static uint64_t gen_flags(uint64_t *rng) {
  uint64_t r = next_random(rng), v = next_random(rng);
  switch (r % 6) {
  case 0: return 0;
  case 1: return v % 16;
  case 2: return 1ULL << (v % 32);
  case 3: return (uint32_t)(v & next_random(rng));
  case 4: return (uint32_t)v;
  default: return PICK(boundary, v);
  }
}

static uint64_t gen_signal(uint64_t *rng) {
  uint64_t v = next_random(rng);
  return v % 4 ? v % 66 : PICK(boundary, v >> 8);
}

static uint64_t gen_addr(uint64_t *rng, const struct pool *p) {
  uint64_t r = next_random(rng), v = next_random(rng);
  switch (r % 10) {
  case 0: case 1: case 2: case 3: return p->addrs[v % p->naddrs];
  case 4: return (uint64_t)p->heap + v % HEAP_SIZE; /* anywhere in the heap, any alignment */
  case 5: return (uint64_t)p->heap + STRUCT_OFFSET;  /* random struct contents */
  case 6: return v & 0x7ffffffff000ULL;              /* page-aligned, anywhere */
  case 7: return v & 0x7fffffffffffULL;
  case 8: return v;
  default: return (uint64_t)p->heap + (v % DATA_SIZE & ~7UL);
  }
}

static uint64_t gen_fd(uint64_t *rng, const struct pool *p) {
  uint64_t r = next_random(rng), v = next_random(rng);
  if (r % 8 < 6) return p->fds[v % p->nfds];
  if (r % 8 == 6) return v % 32;
  return PICK(boundary, v);
}

static uint64_t gen_path(uint64_t *rng, const struct pool *p) {
  uint64_t r = next_random(rng), v = next_random(rng);
  return r % 8 ? p->paths[v % p->npaths] : gen_addr(rng, p);
}

static uint64_t gen_iovec(uint64_t *rng, const struct pool *p) {
  uint64_t r = next_random(rng), v = next_random(rng);
  uint64_t *iov = (uint64_t *)(p->heap + IOV_OFFSET);
  for (int i = 0; i < 4; i++) {
    iov[2 * i] = gen_addr(rng, p);
    iov[2 * i + 1] = gen_length(rng);
  }
  if (r % 8 == 0) return gen_addr(rng, p);
  if (r % 8 == 1) return p->hole - 16; /* an array that straddles the end of a mapping */
  return (uint64_t)iov + 16 * (v % 8);
}

static uint64_t gen_argv(uint64_t *rng, const struct pool *p) {
  uint64_t r = next_random(rng);
  if (r % 4 == 0) return gen_addr(rng, p);
  if (r % 4 == 1) return p->hole - 16;
  return (uint64_t)p->heap + ARGV_OFFSET;
}

static uint64_t gen_arg(char kind, uint64_t *rng, const struct pool *p) {
  switch (kind) {
  case 'z': return gen_length(rng);
  case 'p': return gen_addr(rng, p);
  case 'f': case 'd': {
    uint64_t fd = gen_fd(rng, p);
    return kind == 'd' && next_random(rng) % 4 == 0 ? (uint64_t)-100 : fd;
  }
  case 's': return gen_path(rng, p);
  case 'a': return gen_argv(rng, p);
  case 'v': return gen_iovec(rng, p);
  case 'g': return gen_flags(rng);
  case 'n': return gen_signal(rng);
  default: return gen_int(rng);
  }
}

static uint64_t gen_nr(uint64_t *rng) {
  for (;;) {
    uint64_t r = next_random(rng), v = next_random(rng), nr;
    if (r % 100 < 97) {
      /* 85 %: a syscall the LibOS implements, 12 %: any with a name */
      nr = v % (SYSCALL_MAX + 1);
      if (!syscall_info[nr].name) continue;
      if (r % 100 < 85 && !syscall_info[nr].implemented) continue;
    } else {
      static const uint64_t odd[] = {SYSCALL_MAX + 1, 512, 547, 1000, 0x40000000, 0x40000001,
                                     0x7fffffff, 0x80000000, 0x100000000ULL, (uint64_t)-1};
      nr = r % 2 ? PICK(odd, v) : SYSCALL_MAX + 1 + v % 600;
    }
    if (listed(excluded, sizeof excluded / sizeof *excluded, nr)) continue;
    if (listed(rare, sizeof rare / sizeof *rare, nr) && v % 16) continue;
    if (listed(waits, sizeof waits / sizeof *waits, nr) && v % 64) continue;
    return nr;
  }
}

/* Fill a few words of the struct area: timespecs, sigactions and rlimits read from it
 * get boundary values. */
static void stir_structs(uint64_t *rng, const struct pool *p) {
  uint64_t *words = (uint64_t *)(p->heap + STRUCT_OFFSET);
  for (int i = 0; i < 8; i++) words[next_random(rng) % STRUCT_WORDS] = gen_int(rng);
}

/* A pid that is not the parent nor a group that holds it: kill(0), kill(-1), kill(1)
 * and the parent's pid become the child's own pid. */
static uint64_t own_pid_unless_safe(uint64_t arg, const struct options *opt, pid_t self) {
  int pid = (int)arg;
  if (pid <= 1 || pid == opt->parent || pid == opt->parent_group) return (uint64_t)self;
  return arg;
}

/* CLONE_PARENT makes the new task the parent's child, and the LibOS (unlike Linux, which
 * uses the caller's own exit signal) then sends the parent clone's exit signal when it
 * exits: SIGSTOP would stop the campaign. Cleared until that is fixed. */
#define CLONE_PARENT_FLAG 0x8000ULL

static void neuter(uint64_t nr, uint64_t a[6], const struct options *opt, pid_t self, const struct pool *p) {
  switch (nr) {
  case SYS_clone:
    a[0] &= ~CLONE_PARENT_FLAG;
    break;
  case SYS_clone3:
    if (a[0] >= (uint64_t)p->heap && a[0] + 8 <= (uint64_t)p->heap + HEAP_SIZE) *(uint64_t *)a[0] &= ~CLONE_PARENT_FLAG;
    break;
  case SYS_kill: case SYS_tkill: case SYS_rt_sigqueueinfo: case SYS_prlimit64:
    a[0] = own_pid_unless_safe(a[0], opt, self);
    break;
  case SYS_tgkill: case SYS_rt_tgsigqueueinfo:
    a[0] = own_pid_unless_safe(a[0], opt, self);
    a[1] = own_pid_unless_safe(a[1], opt, self);
    break;
  }
}

/* ----- the trace (no libc: %fs may be anything by now) ---------------------------- */

static char *put_str(char *o, const char *s) {
  while (*s) *o++ = *s++;
  return o;
}

static char *put_hex(char *o, uint64_t v) {
  char tmp[16];
  int n = 0;
  o = put_str(o, "0x");
  do tmp[n++] = "0123456789abcdef"[v & 15]; while (v >>= 4);
  while (n) *o++ = tmp[--n];
  return o;
}

static char *put_dec(char *o, uint64_t v) {
  char tmp[20];
  int n = 0;
  do tmp[n++] = (char)('0' + v % 10); while (v /= 10);
  while (n) *o++ = tmp[--n];
  return o;
}

static void trace_write(const char *buf, size_t len) {
  const uint64_t a[6] = {2, (uint64_t)buf, len, 0, 0, 0};
  raw_syscall(SYS_write, a);
}

static void trace_call(uint64_t i, uint64_t nr, const uint64_t a[6]) {
  char line[256], *o = line;
  o = put_str(o, "fuzz: call ");
  o = put_dec(o, i);
  o = put_str(o, ": ");
  o = put_str(o, syscall_name(nr));
  o = put_str(o, "[");
  o = put_dec(o, nr);
  o = put_str(o, "](");
  for (int k = 0; k < 6; k++) {
    o = put_hex(o, a[k]);
    if (k < 5) o = put_str(o, ", ");
  }
  o = put_str(o, ")");
  trace_write(line, (size_t)(o - line));
}

static void trace_result(long ret) {
  char line[40], *o = line;
  o = put_str(o, " = ");
  if (ret < 0 && ret > -4096) o = put_str(o, "-"), o = put_dec(o, (uint64_t)-ret);
  else o = put_hex(o, (uint64_t)ret);
  o = put_str(o, "\n");
  trace_write(line, (size_t)(o - line));
}

/* ----- the loop ------------------------------------------------------------------ */

void child_run(const struct options *opt, struct shared *sh, uint64_t from, uint64_t to) {
  uint8_t stack_area[STACK_AREA];
  struct pool pool = {0};
  memset(stack_area, 0x5a, sizeof stack_area);

  /* The parent's interval timer and signal handlers are its own. */
  struct itimerval off = {0};
  setitimer(ITIMER_REAL, &off, NULL);
  for (int sig = 1; sig < 65; sig++) signal(sig, SIG_DFL);
  int null = open("/dev/null", O_RDWR);
  dup2(null, 1);
  if (!opt->trace) dup2(null, 2);
  close(null);

  pool.heap = grow_heap();
  if (!pool.heap) _exit(120);
  open_resources(&pool);
  open_sockets(&pool);
  lay_out_strings(&pool);
  lay_out_memory(&pool, stack_area);
  lay_out_iovecs(&pool);
  lay_out_argv(&pool);
  pid_t self = getpid();
  sh->ready = 1;

  for (uint64_t i = from; i < to; i++) {
    uint64_t rng = opt->seed * 0xd1342543de82ef95ULL ^ i * 0x9e3779b97f4a7c15ULL;
    uint64_t nr = gen_nr(&rng);
    const char *kinds = nr <= SYSCALL_MAX ? syscall_info[nr].args : NULL;
    uint64_t a[6];
    for (int k = 0; k < 6; k++) {
      char kind = kinds && kinds[k] ? kinds[k] : 'i';
      /* One argument in eight ignores the signature. */
      if (next_random(&rng) % 8 == 0) kind = "izpfdsavgn"[next_random(&rng) % 10];
      a[k] = gen_arg(kind, &rng, &pool);
    }
    stir_structs(&rng, &pool);
    neuter(nr, a, opt, self, &pool);

    sh->current = i;
    sh->nr = nr;
    sh->in_call = 1;
    if (opt->trace) trace_call(i, nr, a);
    int fork_like = nr == SYS_fork || nr == SYS_vfork || nr == SYS_clone || nr == SYS_clone3;
    long ret = fork_like ? raw_fork_like(nr, a) : raw_syscall(nr, a);
    sh->in_call = 0;
    if (opt->trace) trace_result(ret);

    sh->by_syscall[nr <= SYSCALL_MAX ? nr : SYSCALL_MAX + 1]++;
    if (ret >= 0 || ret < -4095) sh->by_result[0]++;
    else sh->by_result[-ret <= ERRNO_MAX ? -ret : ERRNO_MAX + 1]++;
  }
  sh->current = to;
  const uint64_t status[6] = {0};
  raw_syscall(SYS_exit_group, status);
  __builtin_unreachable();
}
