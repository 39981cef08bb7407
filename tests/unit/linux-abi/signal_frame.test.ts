// The x86-64 signal frame: its layouts against gcc's sizeof/offsetof over the kernel's uapi
// headers, glibc's and musl's ucontext_t over the same bytes, and frames the host kernel
// really built (a handler dumps them; the codecs here decode them).
import { beforeAll, describe, expect, it } from "vitest";
import * as abi from "../../../linux-abi/mod.ts";
import { HAVE_GCC, HAVE_MUSL_GCC, named, parsePairs, runC } from "./_host.ts";

interface Layout {
  /** The C type. */
  readonly type: string;
  readonly size: number;
  /** C member designator → offset. */
  readonly fields: Readonly<Record<string, number>>;
}

/** `fields` with keys renamed (a null drops the field), for a C type that names them differently. */
function renamed(fields: Readonly<Record<string, number>>, names: Readonly<Record<string, string | null>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(fields)) {
    const n = k in names ? names[k] : k;
    if (n !== null && n !== undefined) out[n] = v;
  }
  return out;
}

function program(layouts: readonly Layout[], prelude: string, extra = ""): string {
  const lines: string[] = [];
  for (const l of layouts) {
    const key = l.type.replace(/ /g, "_");
    lines.push(`  printf("${key} %zu\\n", sizeof(${l.type}));`);
    for (const f of Object.keys(l.fields)) lines.push(`  printf("${key}.${f} %zu\\n", __builtin_offsetof(${l.type}, ${f}));`);
  }
  return `${prelude}\nint main(void) {\n${lines.join("\n")}\n${extra}\n  return 0;\n}\n`;
}

function check(l: Layout, c: Map<string, string>): void {
  const key = l.type.replace(/ /g, "_");
  expect([l.type, l.size]).toEqual([l.type, Number(c.get(key))]);
  for (const [f, off] of Object.entries(l.fields)) expect([`${l.type}.${f}`, off]).toEqual([`${l.type}.${f}`, Number(c.get(`${key}.${f}`))]);
}

const REG_NAMES = [
  "REG_R8", "REG_R9", "REG_R10", "REG_R11", "REG_R12", "REG_R13", "REG_R14", "REG_R15", "REG_RDI", "REG_RSI",
  "REG_RBP", "REG_RBX", "REG_RDX", "REG_RAX", "REG_RCX", "REG_RSP", "REG_RIP", "REG_EFL", "REG_CSGSFS", "REG_ERR",
  "REG_TRAPNO", "REG_OLDMASK", "REG_CR2",
] as const;
/** The struct sigcontext member each greg is. */
const GREG_FIELD: Record<(typeof REG_NAMES)[number], keyof typeof abi.SIGCONTEXT_FIELDS> = {
  REG_R8: "r8", REG_R9: "r9", REG_R10: "r10", REG_R11: "r11", REG_R12: "r12", REG_R13: "r13", REG_R14: "r14",
  REG_R15: "r15", REG_RDI: "rdi", REG_RSI: "rsi", REG_RBP: "rbp", REG_RBX: "rbx", REG_RDX: "rdx", REG_RAX: "rax",
  REG_RCX: "rcx", REG_RSP: "rsp", REG_RIP: "rip", REG_EFL: "eflags", REG_CSGSFS: "cs", REG_ERR: "err",
  REG_TRAPNO: "trapno", REG_OLDMASK: "oldmask", REG_CR2: "cr2",
};

/** Laid out by the kernel's uapi headers; struct rt_sigframe as arch/x86/include/asm/sigframe.h. */
const KERNEL_PRELUDE = `typedef unsigned long size_t;
int printf(const char *, ...);
#include <asm/signal.h>
#include <asm/sigcontext.h>
#include <asm/siginfo.h>
#include <asm/ucontext.h>
struct rt_sigframe { char *pretcode; struct ucontext uc; struct siginfo info; };`;

const KERNEL: readonly Layout[] = [
  { type: "struct sigcontext", size: abi.SIZEOF_SIGCONTEXT, fields: abi.SIGCONTEXT_FIELDS },
  { type: "struct ucontext", size: abi.SIZEOF_UCONTEXT, fields: abi.UCONTEXT_FIELDS },
  { type: "struct rt_sigframe", size: abi.SIZEOF_RT_SIGFRAME, fields: abi.RT_SIGFRAME_FIELDS },
  { type: "struct _fpstate_64", size: abi.SIZEOF_FPSTATE, fields: abi.FPSTATE_FIELDS },
  { type: "struct _fpx_sw_bytes", size: abi.SIZEOF_FPX_SW_BYTES, fields: abi.FPX_SW_BYTES_FIELDS },
  { type: "struct _xstate", size: abi.SIZEOF_XSTATE, fields: abi.XSTATE_FIELDS },
  { type: "struct _header", size: abi.SIZEOF_XSTATE_HEADER, fields: abi.XSTATE_HEADER_FIELDS },
];

const GLIBC_PRELUDE = "#define _GNU_SOURCE\n#include <stdio.h>\n#include <signal.h>\n#include <ucontext.h>";
const FPSTATE_AS_LIBC = { twd: "ftw", mxcsr_mask: "mxcr_mask", st_space: "_st", xmm_space: "_xmm", sw_reserved: null };
const GLIBC: readonly Layout[] = [
  { type: "ucontext_t", size: abi.SIZEOF_GLIBC_UCONTEXT, fields: { ...abi.LIBC_UCONTEXT_FIELDS, __ssp: abi.LIBC_UCONTEXT_FIELDS.__fpregs_mem + abi.SIZEOF_FPSTATE } },
  { type: "mcontext_t", size: abi.SIZEOF_MCONTEXT, fields: abi.MCONTEXT_FIELDS },
  { type: "struct _libc_fpstate", size: abi.SIZEOF_FPSTATE, fields: renamed(abi.FPSTATE_FIELDS, { ...FPSTATE_AS_LIBC, reserved2: "__glibc_reserved1" }) },
  { type: "struct sigcontext", size: abi.SIZEOF_SIGCONTEXT, fields: renamed(abi.SIGCONTEXT_FIELDS, { ss: null, reserved1: "__reserved1" }) },
];

const MUSL_PRELUDE = "#define _GNU_SOURCE\n#include <stdio.h>\n#include <signal.h>\n#include <ucontext.h>";
const MUSL: readonly Layout[] = [
  { type: "ucontext_t", size: abi.SIZEOF_MUSL_UCONTEXT, fields: abi.LIBC_UCONTEXT_FIELDS },
  { type: "mcontext_t", size: abi.SIZEOF_MCONTEXT, fields: abi.MCONTEXT_FIELDS },
  { type: "struct _fpstate", size: abi.SIZEOF_FPSTATE, fields: renamed(abi.FPSTATE_FIELDS, { ...FPSTATE_AS_LIBC, reserved2: "padding" }) },
  { type: "struct sigcontext", size: abi.SIZEOF_SIGCONTEXT, fields: renamed(abi.SIGCONTEXT_FIELDS, { ss: null, reserved1: "__reserved1" }) },
];

/** Prints each REG_* value and where ucontext_t puts gregs[REG_*]. */
const GREGS_PROGRAM_LINES = REG_NAMES.map(
  (r) => `  printf("${r} %d\\n", ${r});\n  printf("gregs.${r} %zu\\n", __builtin_offsetof(ucontext_t, uc_mcontext.gregs[${r}]));`,
).join("\n");

describe("x86-64 signal frame layouts", () => {
  const WHY = "gcc is not installed";
  let kernel = new Map<string, string>();
  let glibc = new Map<string, string>();
  let musl = new Map<string, string>();

  beforeAll(() => {
    if (HAVE_GCC) {
      const nested = Object.values(GREG_FIELD)
        .map((f) => `  printf("uc.${f} %zu\\n", __builtin_offsetof(struct ucontext, uc_mcontext.${f}));`)
        .join("\n");
      kernel = parsePairs(runC(program(KERNEL, KERNEL_PRELUDE, `${nested}\n  printf("uc.fpstate %zu\\n", __builtin_offsetof(struct ucontext, uc_mcontext.fpstate));`)));
      glibc = parsePairs(runC(program(GLIBC, GLIBC_PRELUDE, `${GREGS_PROGRAM_LINES}\n  printf("NGREG %d\\n", NGREG);`)));
    }
    if (HAVE_MUSL_GCC) musl = parsePairs(runC(program(MUSL, MUSL_PRELUDE, GREGS_PROGRAM_LINES), "musl-gcc"));
  });

  for (const l of KERNEL) it.skipIf(!HAVE_GCC)(named(`kernel ${l.type} matches gcc's sizeof and offsetof`, HAVE_GCC, WHY), () => check(l, kernel));
  for (const l of GLIBC) it.skipIf(!HAVE_GCC)(named(`glibc ${l.type} matches gcc's sizeof and offsetof`, HAVE_GCC, WHY), () => check(l, glibc));
  for (const l of MUSL) {
    it.skipIf(!HAVE_MUSL_GCC)(named(`musl ${l.type} matches musl-gcc's sizeof and offsetof`, HAVE_MUSL_GCC, "musl-gcc is not installed"), () => check(l, musl));
  }

  it.skipIf(!HAVE_GCC)(named("glibc's gregs[REG_*] and fpregs are the kernel's sigcontext members, at the same offsets", HAVE_GCC, WHY), () => {
    expect(abi.NGREG).toBe(Number(glibc.get("NGREG")));
    REG_NAMES.forEach((r, i) => {
      const field = GREG_FIELD[r];
      expect([r, abi[r]]).toEqual([r, Number(glibc.get(r))]);
      expect(abi[r]).toBe(i);
      const kernelAt = Number(kernel.get(`uc.${field}`));
      expect([r, Number(glibc.get(`gregs.${r}`))]).toEqual([r, kernelAt]);
      expect([r, abi.UCONTEXT_FIELDS.uc_mcontext + abi.SIGCONTEXT_FIELDS[field]]).toEqual([r, kernelAt]);
      expect(abi.SIGCONTEXT_FIELDS[field]).toBe(abi.MCONTEXT_FIELDS.gregs + 8 * i);
    });
    expect(abi.UCONTEXT_FIELDS.uc_mcontext + abi.MCONTEXT_FIELDS.fpregs).toBe(Number(kernel.get("uc.fpstate")));
    expect(abi.SIGCONTEXT_REGS.map((f, i) => abi.SIGCONTEXT_FIELDS[f] === 8 * i)).toEqual(new Array(18).fill(true));
    // The kernel's ucontext ends with an 8-byte sigmask; the C library's sigmask starts there too.
    expect(abi.LIBC_UCONTEXT_FIELDS.uc_sigmask).toBe(abi.UCONTEXT_FIELDS.uc_sigmask);
  });

  it.skipIf(!HAVE_MUSL_GCC)(named("musl's REG_* and gregs offsets agree with the kernel's", HAVE_MUSL_GCC, "musl-gcc is not installed"), () => {
    REG_NAMES.forEach((r) => {
      expect([r, abi[r]]).toEqual([r, Number(musl.get(r))]);
      expect([r, abi.UCONTEXT_FIELDS.uc_mcontext + abi.SIGCONTEXT_FIELDS[GREG_FIELD[r]]]).toEqual([r, Number(musl.get(`gregs.${r}`))]);
    });
  });
});

describe("signal frame placement and constants", () => {
  it("the frame is 16n - 8, below 64-byte-aligned FP state", () => {
    expect(abi.alignSigframe(0x7ffc0000_1000)).toBe(0x7ffc0000_1000 - 8);
    expect(abi.alignSigframe(0x7ffc0000_100f)).toBe(0x7ffc0000_1000 - 8);
    expect(abi.allocMathframe(0x7ffc0000_1000, 512)).toBe(0x7ffc0000_0e00);
    expect(abi.allocMathframe(0x7ffc0000_1000 - 128, 2700)).toBe(0x7ffc0000_04c0);
    const fp = abi.allocMathframe(0x7ffd12345678, abi.xstateSigframeSize(2696, true));
    expect(fp % 64).toBe(0);
    const frame = abi.rtSigframeAddress(fp);
    expect((frame + 8) % 16).toBe(0);
    expect(frame + abi.SIZEOF_RT_SIGFRAME).toBeLessThanOrEqual(fp);
    expect(fp - (frame + abi.SIZEOF_RT_SIGFRAME)).toBeLessThan(24);
    expect(abi.xstateSigframeSize(512, false)).toBe(512);
    expect(abi.xstateSigframeSize(2696, true)).toBe(2700);
  });

  it("FIX_EFLAGS is AC|OF|DF|TF|SF|ZF|AF|PF|CF|RF", () => {
    expect(abi.FIX_EFLAGS).toBe(0x50dd5);
  });
});

describe("signal frame codecs", () => {
  function dirty(len: number): DataView {
    return new DataView(new Uint8Array(len).fill(0xaa).buffer);
  }

  const SC: abi.Sigcontext = {
    r8: 0xffffffffffffffffn, r9: 1n, r10: 2n, r11: 0x246n, r12: 0x8000000000000000n, r13: 13n, r14: 14n, r15: 15n,
    rdi: 10n, rsi: 0x7ffd00001000n, rbp: 0n, rbx: 3n, rdx: 4n, rax: 0xfffffffffffffffcn, rcx: 0x401000n,
    rsp: 0x7ffd00000ff8n, rip: 0x401234n, eflags: 0x10246n, cs: abi.__USER_CS, gs: 0, fs: 0, ss: abi.__USER_DS,
    err: abi.X86_PF_USER | abi.X86_PF_WRITE, trapno: abi.X86_TRAP_PF, oldmask: abi.sigmask(abi.SIGUSR2) | (1n << 63n),
    cr2: 0xffff800000000000n, fpstate: 0x7ffd00002000,
  };

  it("encodeSigcontext() writes 256 bytes, reserved1 zeroed, and decodeSigcontext() reads them back exactly", () => {
    const v = dirty(abi.SIZEOF_SIGCONTEXT);
    abi.encodeSigcontext(v, 0, SC);
    expect(abi.decodeSigcontext(v, 0)).toEqual(SC);
    expect([...new Uint8Array(v.buffer, 192, 64)]).toEqual(new Array(64).fill(0));
    expect(v.getUint16(abi.SIGCONTEXT_FIELDS.cs, true)).toBe(0x33);
    expect(v.getUint16(abi.SIGCONTEXT_FIELDS.__pad0, true)).toBe(0x2b);
    expect(v.getBigUint64(abi.REG_RIP * 8, true)).toBe(0x401234n);
    expect(v.getUint32(abi.REG_CSGSFS * 8 + 4, true)).toBe(0x2b << 16);
  });

  it("ucontext and rt_sigframe round-trip; a null info is zeros", () => {
    const uc: abi.Ucontext = {
      uc_flags: abi.UC_FP_XSTATE | abi.UC_SIGCONTEXT_SS | abi.UC_STRICT_RESTORE_SS, uc_link: 0,
      uc_stack: { ss_sp: 0x7f0000000000, ss_flags: abi.SS_ONSTACK, ss_size: abi.SIGSTKSZ }, uc_mcontext: SC,
      uc_sigmask: SC.oldmask,
    };
    const v = dirty(abi.SIZEOF_RT_SIGFRAME + 16);
    abi.encodeRtSigframe(v, 8, { pretcode: 0x401800, uc, info: null });
    expect(abi.decodeUcontext(v, 8 + abi.RT_SIGFRAME_FIELDS.uc)).toEqual(uc);
    expect(v.getUint32(8, true)).toBe(0x401800);
    expect([...new Uint8Array(v.buffer, 8 + abi.RT_SIGFRAME_FIELDS.info, 128)]).toEqual(new Array(128).fill(0));
    expect([...new Uint8Array(v.buffer, 8, abi.SIZEOF_RT_SIGFRAME)]).not.toContain(0xaa);
    expect(v.getUint8(8 + abi.SIZEOF_RT_SIGFRAME)).toBe(0xaa);
    const info: abi.Siginfo = { layout: "kill", si_signo: abi.SIGTERM, si_errno: 0, si_code: abi.SI_USER, si_pid: 42, si_uid: 1000 };
    abi.encodeRtSigframe(v, 8, { pretcode: 0x401800, uc, info });
    expect(abi.decodeSiginfo(v, 8 + abi.RT_SIGFRAME_FIELDS.info)).toEqual(info);
  });

  it("fpstate and its software bytes round-trip, reserved bytes zeroed", () => {
    const st = new Uint8Array(128).map((_, i) => i);
    const xmm = new Uint8Array(256).map((_, i) => 255 - i);
    const fp: abi.Fpstate = {
      cwd: 0x37f, swd: 0, twd: 0, fop: 0, rip: 0n, rdp: 0xffffffffffffffffn, mxcsr: abi.MXCSR_DEFAULT, mxcsr_mask: 0xffff,
      st_space: st, xmm_space: xmm,
      sw_reserved: { magic1: abi.FP_XSTATE_MAGIC1, extended_size: 2700, xfeatures: 0x2e7n, xstate_size: 2696 },
    };
    const v = dirty(abi.SIZEOF_FPSTATE);
    abi.encodeFpstate(v, 0, fp);
    expect(abi.decodeFpstate(v, 0)).toEqual(fp);
    expect([...new Uint8Array(v.buffer, abi.FPSTATE_FIELDS.reserved2, 48)]).toEqual(new Array(48).fill(0));
    expect([...new Uint8Array(v.buffer, abi.FPSTATE_FIELDS.sw_reserved + 20, 28)]).toEqual(new Array(28).fill(0));
    expect(v.getUint32(abi.FPSTATE_FIELDS.sw_reserved, true)).toBe(0x46505853);
  });
});

// ---------------------------------------------------------------------------------------------
// Frames the host kernel built. The handler prints the raw bytes; the codecs read them.

const LIVE = String.raw`#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

struct ksigaction { void *handler; unsigned long flags; void *restorer; unsigned long mask; };
static const char *tag;
static sigjmp_buf jb;

static void hex(const char *what, const void *p, size_t n) {
  const unsigned char *b = p;
  printf("%s.%s ", tag, what);
  for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
  printf("\n");
}

static void report(ucontext_t *uc, siginfo_t *si, uintptr_t entry_sp) {
  uintptr_t frame = (uintptr_t)uc - 8;
  uintptr_t fp = (uintptr_t)uc->uc_mcontext.fpregs;
  printf("%s.frame %lu\n%s.entry_sp %lu\n%s.si %lu\n%s.uc %lu\n%s.fp %lu\n", tag, frame, tag, entry_sp, tag,
         (uintptr_t)si, tag, (uintptr_t)uc, tag, fp);
  hex("bytes", (void *)frame, 440);
  if (fp) {
    hex("fpbytes", (void *)fp, 512);
    uint32_t magic1 = *(uint32_t *)(fp + 464), ext = *(uint32_t *)(fp + 468);
    if (magic1 == 0x46505853U) printf("%s.magic2 %u\n", tag, *(uint32_t *)(fp + ext - 4));
  }
  printf("%s.glibc_rip %llu\n%s.glibc_rsp %llu\n%s.glibc_csgsfs %llu\n%s.glibc_trapno %llu\n%s.glibc_err %llu\n"
         "%s.glibc_cr2 %llu\n%s.glibc_oldmask %llu\n%s.glibc_mask %lu\n",
         tag, (unsigned long long)uc->uc_mcontext.gregs[REG_RIP], tag, (unsigned long long)uc->uc_mcontext.gregs[REG_RSP],
         tag, (unsigned long long)uc->uc_mcontext.gregs[REG_CSGSFS], tag, (unsigned long long)uc->uc_mcontext.gregs[REG_TRAPNO],
         tag, (unsigned long long)uc->uc_mcontext.gregs[REG_ERR], tag, (unsigned long long)uc->uc_mcontext.gregs[REG_CR2],
         tag, (unsigned long long)uc->uc_mcontext.gregs[REG_OLDMASK], tag, *(unsigned long *)&uc->uc_sigmask);
}

static void on_signal(int sig, siginfo_t *si, void *uc) {
  /* At -O0 the prologue pushed rbp once: the entry rsp is 8 above the frame address. */
  report(uc, si, (uintptr_t)__builtin_frame_address(0) + 8);
}

static void on_fault(int sig, siginfo_t *si, void *uc) {
  report(uc, si, (uintptr_t)__builtin_frame_address(0) + 8);
  siglongjmp(jb, 1);
}

static void tgkill_with_registers(void) {
  long pid = getpid(), tid = syscall(SYS_gettid), ret;
  register unsigned long r8 asm("r8") = 0x8888888888888801UL;
  register unsigned long r9 asm("r9") = 0x9999999999999902UL;
  register unsigned long r10 asm("r10") = 0xa0a0a0a0a0a0a003UL;
  register unsigned long r12 asm("r12") = 0xc0c0c0c0c0c0c004UL;
  register unsigned long r13 asm("r13") = 0xd0d0d0d0d0d0d005UL;
  register unsigned long r14 asm("r14") = 0xe0e0e0e0e0e0e006UL;
  register unsigned long r15 asm("r15") = 0xf0f0f0f0f0f0f007UL;
  asm volatile("syscall"
               : "=a"(ret)
               : "0"((long)SYS_tgkill), "D"(pid), "S"(tid), "d"((long)SIGUSR1), "r"(r8), "r"(r9), "r"(r10), "r"(r12),
                 "r"(r13), "r"(r14), "r"(r15)
               : "rcx", "r11", "memory");
}

int main(void) {
  setvbuf(stdout, NULL, _IOFBF, 1 << 20);
  unsigned mxcsr;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  printf("mxcsr %u\npid %d\nuid %u\n", mxcsr, getpid(), getuid());

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  struct ksigaction k;
  syscall(SYS_rt_sigaction, SIGUSR1, NULL, &k, 8);
  printf("restorer %lu\nksa_flags %lu\n", (unsigned long)k.restorer, k.flags);

  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR2);
  sigprocmask(SIG_BLOCK, &block, NULL);

  tag = "main";
  tgkill_with_registers();

  static char alt[65536] __attribute__((aligned(4096)));
  stack_t ss = { .ss_sp = alt + 100, .ss_flags = 0, .ss_size = sizeof alt - 300 };
  sigaltstack(&ss, NULL);
  printf("alt.ss_sp %lu\nalt.ss_size %lu\n", (unsigned long)ss.ss_sp, (unsigned long)ss.ss_size);
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigaction(SIGUSR1, &sa, NULL);
  tag = "alt";
  raise(SIGUSR1);

  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGILL, &sa, NULL);
  sigaction(SIGTRAP, &sa, NULL);
  sigaction(SIGFPE, &sa, NULL);

  tag = "segv_map";
  if (!sigsetjmp(jb, 1)) (void)*(volatile int *)0x10;
  char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("ro %lu\n", (unsigned long)ro);
  (void)*(volatile char *)(ro + 8); /* present now: the write below is a protection fault */
  tag = "segv_acc";
  if (!sigsetjmp(jb, 1)) *(volatile char *)(ro + 8) = 1;
  tag = "ill";
  if (!sigsetjmp(jb, 1)) asm volatile("ud2");
  tag = "trap";
  if (!sigsetjmp(jb, 1)) asm volatile("int3");
  tag = "fpe";
  volatile int zero = 0, one = 1;
  if (!sigsetjmp(jb, 1)) printf("never %d\n", one / zero);
  return 0;
}
`;

interface Live {
  get(key: string): string;
  num(key: string): number;
  big(key: string): bigint;
  bytes(key: string): DataView;
}

function live(text: string): Live {
  const c = parsePairs(text);
  const get = (key: string): string => {
    const v = c.get(key);
    if (v === undefined) throw new Error(`the C program printed no ${key}`);
    return v;
  };
  return {
    get,
    num: (key) => Number(get(key)),
    big: (key) => BigInt(get(key)),
    bytes: (key) => new DataView(Uint8Array.from(get(key).match(/../g) ?? [], (h) => parseInt(h, 16)).buffer),
  };
}

describe("frames the host kernel built", () => {
  const runs = HAVE_GCC && process.arch === "x64";
  const WHY = "needs gcc on an x86-64 host";
  let L: Live;

  beforeAll(() => {
    if (runs) L = live(runC(LIVE));
  });

  /** The frame of `tag`, decoded, with its FP state's size. */
  function frameOf(tag: string) {
    const bytes = L.bytes(`${tag}.bytes`);
    const uc = abi.decodeUcontext(bytes, abi.RT_SIGFRAME_FIELDS.uc);
    const fp = abi.decodeFpstate(L.bytes(`${tag}.fpbytes`), 0);
    const xsave = fp.sw_reserved.magic1 === abi.FP_XSTATE_MAGIC1;
    const fpSize = xsave ? fp.sw_reserved.extended_size : abi.SIZEOF_FPSTATE;
    return { bytes, uc, fp, xsave, fpSize, frame: L.num(`${tag}.frame`), info: abi.decodeSiginfo(bytes, abi.RT_SIGFRAME_FIELDS.info) };
  }

  it.skipIf(!runs)(named("a handler's frame: placement, pretcode, uc_flags, registers and mask", runs, WHY), () => {
    const { bytes, uc, xsave, fpSize, frame, info } = frameOf("main");
    const sc = uc.uc_mcontext;
    // Placement: FP state below the red zone, the frame below it, rsp = frame on entry.
    expect(sc.fpstate).toBe(L.num("main.fp"));
    expect(sc.fpstate).toBe(abi.allocMathframe(Number(sc.rsp) - abi.SIGFRAME_REDZONE, fpSize));
    expect(frame).toBe(abi.rtSigframeAddress(sc.fpstate));
    expect(L.num("main.entry_sp")).toBe(frame);
    expect((frame + 8) % 16).toBe(0);
    expect(L.num("main.uc")).toBe(frame + abi.RT_SIGFRAME_FIELDS.uc);
    expect(L.num("main.si")).toBe(frame + abi.RT_SIGFRAME_FIELDS.info);
    // pretcode is the sa_restorer the C library registered (with SA_RESTORER).
    expect(Number(bytes.getBigUint64(abi.RT_SIGFRAME_FIELDS.pretcode, true))).toBe(L.num("restorer"));
    expect(L.num("ksa_flags") & abi.SA_RESTORER).toBe(abi.SA_RESTORER);
    // The ucontext head.
    expect(uc.uc_flags).toBe(abi.UC_SIGCONTEXT_SS | abi.UC_STRICT_RESTORE_SS | (xsave ? abi.UC_FP_XSTATE : 0));
    expect(uc.uc_link).toBe(0);
    // No sigaltstack: the task's stored settings, all zero (sigaltstack(2) would report SS_DISABLE).
    expect(uc.uc_stack).toEqual({ ss_sp: 0, ss_flags: 0, ss_size: 0 });
    // The registers at the interrupted syscall: big values exact, rax its result.
    expect([sc.r8, sc.r9, sc.r10, sc.r12, sc.r13, sc.r14, sc.r15]).toEqual([
      0x8888888888888801n, 0x9999999999999902n, 0xa0a0a0a0a0a0a003n, 0xc0c0c0c0c0c0c004n, 0xd0d0d0d0d0d0d005n,
      0xe0e0e0e0e0e0e006n, 0xf0f0f0f0f0f0f007n,
    ]);
    expect(sc.rax).toBe(0n);
    expect([sc.cs, sc.gs, sc.fs, sc.ss]).toEqual([abi.__USER_CS, 0, 0, abi.__USER_DS]);
    expect(sc.eflags & BigInt(abi.X86_EFLAGS_FIXED | abi.X86_EFLAGS_IF)).toBe(BigInt(abi.X86_EFLAGS_FIXED | abi.X86_EFLAGS_IF));
    // The mask to restore, twice: oldmask and uc_sigmask.
    expect(uc.uc_sigmask).toBe(abi.sigmask(abi.SIGUSR2));
    expect(sc.oldmask).toBe(uc.uc_sigmask);
    // glibc's gregs read the same values.
    expect(sc.rip).toBe(L.big("main.glibc_rip"));
    expect(sc.rsp).toBe(L.big("main.glibc_rsp"));
    expect(sc.oldmask).toBe(L.big("main.glibc_oldmask"));
    expect(uc.uc_sigmask).toBe(L.big("main.glibc_mask"));
    expect(BigInt(sc.cs) | (BigInt(sc.gs) << 16n) | (BigInt(sc.fs) << 32n) | (BigInt(sc.ss) << 48n)).toBe(L.big("main.glibc_csgsfs"));
    // tgkill(2) to itself: SI_TKILL, which siginfo_layout() files under _rt.
    expect(info).toEqual({
      layout: "rt", si_signo: abi.SIGUSR1, si_errno: 0, si_code: abi.SI_TKILL, si_pid: L.num("pid"), si_uid: L.num("uid"), si_value: 0n,
    });
  });

  it.skipIf(!runs)(named("re-encoding the decoded frame gives back every byte the kernel wrote", runs, WHY), () => {
    for (const tag of ["main", "alt", "segv_map", "segv_acc", "ill", "trap", "fpe"]) {
      const { bytes, uc, info } = frameOf(tag);
      const again = new DataView(new ArrayBuffer(abi.SIZEOF_RT_SIGFRAME));
      abi.encodeRtSigframe(again, 0, { pretcode: Number(bytes.getBigUint64(0, true)), uc, info });
      // Not written by the kernel (stack contents): the padding after uc_stack.ss_flags and sigcontext.reserved1.
      const skip = (i: number): boolean => {
        const sc = abi.RT_SIGFRAME_FIELDS.uc + abi.UCONTEXT_FIELDS.uc_mcontext;
        const pad = abi.RT_SIGFRAME_FIELDS.uc + abi.UCONTEXT_FIELDS.uc_stack + 12;
        return (i >= pad && i < pad + 4) || (i >= sc + abi.SIGCONTEXT_FIELDS.reserved1 && i < sc + abi.SIZEOF_SIGCONTEXT);
      };
      const differ: number[] = [];
      for (let i = 0; i < abi.SIZEOF_RT_SIGFRAME; i++) if (!skip(i) && again.getUint8(i) !== bytes.getUint8(i)) differ.push(i);
      expect([tag, differ]).toEqual([tag, []]);
    }
  });

  it.skipIf(!runs)(named("the FP state: FXSAVE image, XSAVE markers, default control words", runs, WHY), () => {
    const { fp, xsave, uc } = frameOf("main");
    expect(fp.cwd).toBe(0x37f);
    expect(fp.mxcsr & ~0x3f).toBe(abi.MXCSR_DEFAULT);
    expect(L.num("mxcsr")).toBe(abi.MXCSR_DEFAULT);
    expect(uc.uc_mcontext.fpstate % abi.FPSTATE_ALIGNMENT).toBe(0);
    if (xsave) {
      expect(fp.sw_reserved.extended_size).toBe(abi.xstateSigframeSize(fp.sw_reserved.xstate_size, true));
      expect(fp.sw_reserved.xfeatures & BigInt(abi.XFEATURE_MASK_FP | abi.XFEATURE_MASK_SSE)).toBe(3n);
      expect(L.num("main.magic2")).toBe(abi.FP_XSTATE_MAGIC2);
    } else {
      expect(fp.sw_reserved).toEqual({ magic1: 0, extended_size: 0, xfeatures: 0n, xstate_size: 0 });
    }
    const again = new DataView(new ArrayBuffer(abi.SIZEOF_FPSTATE));
    abi.encodeFpstate(again, 0, fp);
    const raw = L.bytes("main.fpbytes");
    for (const [from, to] of [[0, abi.FPSTATE_FIELDS.reserved2], [abi.FPSTATE_FIELDS.sw_reserved, 512]] as const) {
      expect(new Uint8Array(again.buffer, from, to - from)).toEqual(new Uint8Array(raw.buffer, from, to - from));
    }
  });

  it.skipIf(!runs)(named("on the alternate stack: placement from its top, no red zone, uc_stack saved", runs, WHY), () => {
    const { uc, fpSize, frame } = frameOf("alt");
    const top = L.num("alt.ss_sp") + L.num("alt.ss_size");
    expect(uc.uc_mcontext.fpstate).toBe(abi.allocMathframe(top, fpSize));
    expect(frame).toBe(abi.rtSigframeAddress(uc.uc_mcontext.fpstate));
    expect(L.num("alt.entry_sp")).toBe(frame);
    expect(uc.uc_stack).toEqual({ ss_sp: L.num("alt.ss_sp"), ss_flags: 0, ss_size: L.num("alt.ss_size") });
  });

  it.skipIf(!runs)(named("faults: si_code, si_addr, trapno, err and cr2 as the kernel reports them", runs, WHY), () => {
    const fault = (tag: string) => {
      const { uc, info } = frameOf(tag);
      return { sc: uc.uc_mcontext, info };
    };
    let f = fault("segv_map");
    expect(f.info).toEqual({ layout: "fault", si_signo: abi.SIGSEGV, si_errno: 0, si_code: abi.SEGV_MAPERR, si_addr: 0x10n });
    expect([f.sc.trapno, f.sc.err, f.sc.cr2]).toEqual([abi.X86_TRAP_PF, abi.X86_PF_USER, 0x10n]);
    expect(BigInt(f.sc.trapno)).toBe(L.big("segv_map.glibc_trapno"));
    expect(f.sc.cr2).toBe(L.big("segv_map.glibc_cr2"));

    f = fault("segv_acc");
    const ro = BigInt(L.num("ro") + 8);
    expect(f.info).toEqual({ layout: "fault", si_signo: abi.SIGSEGV, si_errno: 0, si_code: abi.SEGV_ACCERR, si_addr: ro });
    expect([f.sc.trapno, f.sc.err, f.sc.cr2]).toEqual([abi.X86_TRAP_PF, abi.X86_PF_PROT | abi.X86_PF_WRITE | abi.X86_PF_USER, ro]);
    expect(BigInt(f.sc.err)).toBe(L.big("segv_acc.glibc_err"));

    f = fault("ill");
    expect(f.info).toEqual({ layout: "fault", si_signo: abi.SIGILL, si_errno: 0, si_code: abi.ILL_ILLOPN, si_addr: f.sc.rip });
    expect([f.sc.trapno, f.sc.err]).toEqual([abi.X86_TRAP_UD, 0]);

    f = fault("trap");
    expect(f.info).toEqual({ layout: "kill", si_signo: abi.SIGTRAP, si_errno: 0, si_code: abi.SI_KERNEL, si_pid: 0, si_uid: 0 });
    expect([f.sc.trapno, f.sc.err]).toEqual([abi.X86_TRAP_BP, 0]);

    f = fault("fpe");
    expect(f.info).toEqual({ layout: "fault", si_signo: abi.SIGFPE, si_errno: 0, si_code: abi.FPE_INTDIV, si_addr: f.sc.rip });
    expect([f.sc.trapno, f.sc.err]).toEqual([abi.X86_TRAP_DE, 0]);
  });
});
