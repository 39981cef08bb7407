// siginfo_t and struct sigevent: layouts against gcc over the kernel's uapi headers, glibc's
// and musl's; the union interpretation (siginfo_layout()); and siginfos the host kernel really
// delivered, decoded and re-encoded byte for byte.
import { beforeAll, describe, expect, it } from "vitest";
import * as abi from "../../../linux-abi/mod.ts";
import { HAVE_GCC, HAVE_MUSL_GCC, named, parsePairs, runC } from "./_host.ts";

function renamed(fields: Readonly<Record<string, number>>, names: Readonly<Record<string, string | null>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(fields)) {
    const n = k in names ? names[k] : k;
    if (n !== null && n !== undefined) out[n] = v;
  }
  return out;
}

interface Layout {
  readonly type: string;
  readonly size: number;
  readonly fields: Readonly<Record<string, number>>;
}

function layoutProgram(layouts: readonly Layout[], prelude: string): string {
  const lines: string[] = [];
  for (const l of layouts) {
    const key = l.type.replace(/ /g, "_");
    lines.push(`  printf("${key} %zu\\n", sizeof(${l.type}));`, `  printf("${key}.align %zu\\n", _Alignof(${l.type}));`);
    for (const f of Object.keys(l.fields)) lines.push(`  printf("${key}.${f} %zu\\n", __builtin_offsetof(${l.type}, ${f}));`);
  }
  return `${prelude}\nint main(void) {\n${lines.join("\n")}\n  return 0;\n}\n`;
}

function check(l: Layout, c: Map<string, string>): void {
  const key = l.type.replace(/ /g, "_");
  expect([l.type, l.size]).toEqual([l.type, Number(c.get(key))]);
  expect([l.type, "align", 8]).toEqual([l.type, "align", Number(c.get(`${key}.align`))]);
  for (const [f, off] of Object.entries(l.fields)) expect([`${l.type}.${f}`, off]).toEqual([`${l.type}.${f}`, Number(c.get(`${key}.${f}`))]);
}

const KERNEL: readonly Layout[] = [
  { type: "siginfo_t", size: abi.SIZEOF_SIGINFO, fields: abi.SIGINFO_FIELDS },
  { type: "struct sigevent", size: abi.SIZEOF_SIGEVENT, fields: abi.SIGEVENT_FIELDS },
];
const GLIBC: readonly Layout[] = [
  {
    type: "siginfo_t",
    size: abi.SIZEOF_SIGINFO,
    fields: renamed(abi.SIGINFO_FIELDS, { si_tid: "si_timerid", si_sys_private: null, si_perf_data: null, si_perf_type: null, si_perf_flags: null }),
  },
  { type: "struct sigevent", size: abi.SIZEOF_SIGEVENT, fields: renamed(abi.SIGEVENT_FIELDS, { sigev_notify_thread_id: "_sigev_un._tid" }) },
];
const MUSL: readonly Layout[] = [
  {
    type: "siginfo_t",
    size: abi.SIZEOF_SIGINFO,
    fields: renamed(abi.SIGINFO_FIELDS, {
      si_tid: "si_timerid", _sifields: null, si_sys_private: null, si_perf_data: null, si_perf_type: null, si_perf_flags: null,
    }),
  },
  { type: "struct sigevent", size: abi.SIZEOF_SIGEVENT, fields: abi.SIGEVENT_FIELDS },
];

describe("siginfo and sigevent layouts", () => {
  const WHY = "gcc is not installed";
  let kernel = new Map<string, string>();
  let glibc = new Map<string, string>();
  let musl = new Map<string, string>();

  beforeAll(() => {
    if (HAVE_GCC) {
      kernel = parsePairs(runC(layoutProgram(KERNEL, "typedef unsigned long size_t;\nint printf(const char *, ...);\n#include <asm/signal.h>\n#include <asm/siginfo.h>")));
      glibc = parsePairs(runC(layoutProgram(GLIBC, "#define _GNU_SOURCE\n#include <stdio.h>\n#include <signal.h>")));
    }
    if (HAVE_MUSL_GCC) musl = parsePairs(runC(layoutProgram(MUSL, "#define _GNU_SOURCE\n#include <stdio.h>\n#include <signal.h>"), "musl-gcc"));
  });

  for (const l of KERNEL) it.skipIf(!HAVE_GCC)(named(`kernel ${l.type} matches gcc`, HAVE_GCC, WHY), () => check(l, kernel));
  for (const l of GLIBC) it.skipIf(!HAVE_GCC)(named(`glibc ${l.type} matches gcc`, HAVE_GCC, WHY), () => check(l, glibc));
  for (const l of MUSL) it.skipIf(!HAVE_MUSL_GCC)(named(`musl ${l.type} matches musl-gcc`, HAVE_MUSL_GCC, "musl-gcc is not installed"), () => check(l, musl));
});

describe("siginfoLayout()", () => {
  it("follows kernel/signal.c's siginfo_layout()", () => {
    const cases: [number, number, abi.SiginfoLayout][] = [
      [abi.SIGTERM, abi.SI_USER, "kill"],
      [abi.SIGSEGV, abi.SI_KERNEL, "kill"],
      [abi.SIGUSR1, abi.SI_QUEUE, "rt"],
      [abi.SIGUSR1, abi.SI_TKILL, "rt"],
      [abi.SIGUSR1, abi.SI_MESGQ, "rt"],
      [abi.SIGALRM, abi.SI_TIMER, "timer"],
      [abi.SIGIO, abi.SI_SIGIO, "poll"],
      [abi.SIGUSR1, abi.SI_SIGIO, "poll"],
      [abi.SIGSEGV, abi.SEGV_MAPERR, "fault"],
      [abi.SIGSEGV, abi.SEGV_CPERR, "fault"],
      [abi.SIGSEGV, 11, "kill"], // above NSIGSEGV (10) and NSIGPOLL (6)
      [abi.SIGBUS, abi.BUS_MCEERR_AR, "fault"],
      [abi.SIGILL, abi.ILL_ILLOPC, "fault"],
      [abi.SIGFPE, abi.FPE_CONDTRAP, "fault"],
      [abi.SIGTRAP, abi.TRAP_PERF, "fault"],
      [abi.SIGCHLD, abi.CLD_EXITED, "chld"],
      [abi.SIGCHLD, abi.CLD_CONTINUED, "chld"],
      [abi.SIGCHLD, 7, "kill"],
      [abi.SIGIO, abi.POLL_HUP, "poll"],
      [abi.SIGUSR2, abi.POLL_IN, "poll"],
      [abi.SIGUSR2, 7, "kill"],
      [abi.SIGSYS, abi.SYS_SECCOMP, "sys"],
      [abi.SIGSYS, 3, "poll"], // above NSIGSYS (2), within NSIGPOLL
    ];
    for (const [sig, code, layout] of cases) expect([sig, code, abi.siginfoLayout(sig, code)]).toEqual([sig, code, layout]);
  });
});

describe("siginfo and sigevent codecs", () => {
  function dirty(len: number): DataView {
    return new DataView(new Uint8Array(len).fill(0xaa).buffer);
  }
  const head = { si_errno: 0 };
  const samples: abi.Siginfo[] = [
    { layout: "kill", ...head, si_signo: abi.SIGTERM, si_code: abi.SI_USER, si_pid: 1, si_uid: 0xfffffffe },
    { layout: "rt", ...head, si_signo: 40, si_code: abi.SI_QUEUE, si_pid: 7, si_uid: 1000, si_value: 0xffffffff_80000000n },
    { layout: "timer", ...head, si_signo: abi.SIGALRM, si_code: abi.SI_TIMER, si_tid: 3, si_overrun: 2, si_value: 5n },
    { layout: "chld", ...head, si_signo: abi.SIGCHLD, si_code: abi.CLD_KILLED, si_pid: 9, si_uid: 0, si_status: abi.SIGKILL, si_utime: 12, si_stime: 2 ** 40 },
    { layout: "fault", ...head, si_signo: abi.SIGSEGV, si_code: abi.SEGV_MAPERR, si_addr: 0xffff800000001000n },
    { layout: "fault", ...head, si_signo: abi.SIGBUS, si_code: abi.BUS_MCEERR_AO, si_addr: 0x7f0000001000n, si_addr_lsb: 12 },
    { layout: "fault", ...head, si_signo: abi.SIGSEGV, si_code: abi.SEGV_BNDERR, si_addr: 1n, si_lower: 2n, si_upper: 3n },
    { layout: "fault", ...head, si_signo: abi.SIGSEGV, si_code: abi.SEGV_PKUERR, si_addr: 1n, si_pkey: 15 },
    { layout: "poll", ...head, si_signo: abi.SIGIO, si_code: abi.POLL_IN, si_band: abi.POLLIN | abi.POLLRDNORM, si_fd: 3 },
    { layout: "sys", ...head, si_signo: abi.SIGSYS, si_code: abi.SYS_SECCOMP, si_call_addr: 0x401000n, si_syscall: 39, si_arch: 0xc000003e },
  ];

  it("every layout round-trips through all 128 bytes, the rest zeroed", () => {
    for (const info of samples) {
      const v = dirty(abi.SIZEOF_SIGINFO + 8);
      abi.encodeSiginfo(v, 4, info);
      expect(abi.decodeSiginfo(v, 4)).toEqual(info);
      expect([...new Uint8Array(v.buffer, 4, abi.SIZEOF_SIGINFO)]).not.toContain(0xaa);
      expect([v.getUint8(3), v.getUint8(4 + abi.SIZEOF_SIGINFO)]).toEqual([0xaa, 0xaa]);
    }
  });

  it("fields land at the header's offsets", () => {
    const v = dirty(abi.SIZEOF_SIGINFO);
    const chld = samples[3] as abi.SiginfoChld;
    abi.encodeSiginfo(v, 0, chld);
    expect(v.getInt32(abi.SIGINFO_FIELDS.si_status, true)).toBe(abi.SIGKILL);
    expect(v.getUint32(abi.SIGINFO_FIELDS.si_stime + 4, true)).toBe(2 ** 8);
    abi.encodeSiginfo(v, 0, samples[1] as abi.SiginfoRt);
    expect(v.getInt32(abi.SIGINFO_FIELDS.si_value, true)).toBe(-0x80000000);
    expect(abi.sival_int(0xffffffff_80000000n)).toBe(-0x80000000);
    expect(abi.sival_ptr(0x7f0012345678n)).toBe(0x7f0012345678);
  });

  it("decodeSiginfo() takes si_signo from the call's sig when given", () => {
    const v = dirty(abi.SIZEOF_SIGINFO);
    abi.encodeSiginfo(v, 0, { layout: "rt", si_signo: 99, si_errno: 0, si_code: abi.SI_QUEUE, si_pid: 1, si_uid: 2, si_value: 3n });
    expect(abi.decodeSiginfo(v, 0, abi.SIGUSR1)).toMatchObject({ layout: "rt", si_signo: abi.SIGUSR1, si_value: 3n });
  });

  it("sigevent round-trips, the union's other bytes zeroed", () => {
    const v = dirty(abi.SIZEOF_SIGEVENT);
    const ev: abi.Sigevent = { sigev_value: 0x1234n, sigev_signo: abi.SIGRTMIN, sigev_notify: abi.SIGEV_SIGNAL | abi.SIGEV_THREAD_ID, sigev_notify_thread_id: 4321 };
    abi.encodeSigevent(v, 0, ev);
    expect(abi.decodeSigevent(v, 0)).toEqual(ev);
    expect([...new Uint8Array(v.buffer, 20, 44)]).toEqual(new Array(44).fill(0));
  });
});

const LIVE = String.raw`#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static sigset_t set;

static void take(const char *tag) {
  siginfo_t si;
  memset(&si, 0xaa, sizeof si);
  if (sigwaitinfo(&set, &si) < 0) { printf("%s.error 1\n", tag); return; }
  printf("%s ", tag);
  for (size_t i = 0; i < sizeof si; i++) printf("%02x", ((unsigned char *)&si)[i]);
  printf("\n");
}

int main(void) {
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, NULL);
  printf("pid %d\nuid %u\n", getpid(), getuid());

  union sigval v = { .sival_ptr = (void *)0x123456789abcUL };
  sigqueue(getpid(), SIGUSR1, v);
  take("queue");

  kill(getpid(), SIGUSR2);
  take("kill");

  siginfo_t in;
  memset(&in, 0, sizeof in);
  in.si_signo = 99;
  in.si_code = -10;
  in.si_pid = 4242;
  in.si_uid = 77;
  in.si_value.sival_int = -5;
  printf("sqinfo_in ");
  for (size_t i = 0; i < sizeof in; i++) printf("%02x", ((unsigned char *)&in)[i]);
  printf("\n");
  syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &in);
  take("sqinfo");

  pid_t c = fork();
  if (c == 0) _exit(7);
  printf("exit_pid %d\n", c);
  take("exit");
  waitpid(c, NULL, 0);

  c = fork();
  if (c == 0) { for (;;) pause(); }
  printf("killed_pid %d\n", c);
  kill(c, SIGKILL);
  take("killed");
  waitpid(c, NULL, 0);

  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR2;
  ev.sigev_value.sival_int = 77;
  timer_t t;
  timer_create(CLOCK_MONOTONIC, &ev, &t);
  struct itimerspec its = { { 0, 0 }, { 0, 1000000 } };
  timer_settime(t, 0, &its, NULL);
  take("timer");

  int p[2];
  pipe(p);
  fcntl(p[0], F_SETOWN, getpid());
  fcntl(p[0], F_SETSIG, SIGUSR1);
  fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK);
  printf("sigio_fd %d\n", p[0]);
  write(p[1], "x", 1);
  take("sigio");
  fflush(stdout);
  return 0;
}
`;

describe("siginfos the host kernel delivered", () => {
  const runs = HAVE_GCC && process.arch === "x64";
  const WHY = "needs gcc on an x86-64 host";
  let c = new Map<string, string>();

  beforeAll(() => {
    if (runs) c = parsePairs(runC(LIVE));
  });

  const num = (k: string): number => Number(c.get(k));
  function raw(tag: string): DataView {
    const hex = c.get(tag);
    if (hex === undefined) throw new Error(`no ${tag} from the C program`);
    return new DataView(Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16)).buffer);
  }
  function decoded(tag: string): abi.Siginfo {
    const bytes = raw(tag);
    const info = abi.decodeSiginfo(bytes, 0);
    // The kernel writes all 128 bytes: the encoder reproduces them exactly.
    const again = new DataView(new ArrayBuffer(abi.SIZEOF_SIGINFO));
    abi.encodeSiginfo(again, 0, info);
    expect([tag, new Uint8Array(again.buffer)]).toEqual([tag, new Uint8Array(bytes.buffer)]);
    return info;
  }

  it.skipIf(!runs)(named("sigqueue(3), kill(2) and rt_sigqueueinfo(2)", runs, WHY), () => {
    const ids = { si_pid: num("pid"), si_uid: num("uid") };
    expect(decoded("queue")).toEqual({ layout: "rt", si_signo: abi.SIGUSR1, si_errno: 0, si_code: abi.SI_QUEUE, ...ids, si_value: 0x123456789abcn });
    expect(decoded("kill")).toEqual({ layout: "kill", si_signo: abi.SIGUSR2, si_errno: 0, si_code: abi.SI_USER, ...ids });
    // rt_sigqueueinfo: the caller's fields pass through; si_signo becomes the call's sig.
    const sent = abi.decodeSiginfo(raw("sqinfo_in"), 0, abi.SIGUSR1);
    expect(sent).toEqual({ layout: "rt", si_signo: abi.SIGUSR1, si_errno: 0, si_code: -10, si_pid: 4242, si_uid: 77, si_value: 0xfffffffbn });
    expect(abi.sival_int((sent as abi.SiginfoRt).si_value)).toBe(-5);
    expect(decoded("sqinfo")).toEqual(sent);
  });

  it.skipIf(!runs)(named("SIGCHLD for an exit and a kill", runs, WHY), () => {
    const exit = decoded("exit");
    expect(exit).toMatchObject({ layout: "chld", si_signo: abi.SIGCHLD, si_code: abi.CLD_EXITED, si_pid: num("exit_pid"), si_uid: num("uid"), si_status: 7 });
    const killed = decoded("killed");
    expect(killed).toMatchObject({ layout: "chld", si_signo: abi.SIGCHLD, si_code: abi.CLD_KILLED, si_pid: num("killed_pid"), si_status: abi.SIGKILL });
  });

  it.skipIf(!runs)(named("a POSIX timer's expiry and SIGIO with F_SETSIG", runs, WHY), () => {
    const timer = decoded("timer");
    expect(timer).toMatchObject({ layout: "timer", si_signo: abi.SIGUSR2, si_code: abi.SI_TIMER, si_overrun: 0, si_value: 77n });
    expect(decoded("sigio")).toEqual({
      layout: "poll", si_signo: abi.SIGUSR1, si_errno: 0, si_code: abi.POLL_IN, si_band: abi.POLLIN | abi.POLLRDNORM, si_fd: num("sigio_fd"),
    });
  });
});
