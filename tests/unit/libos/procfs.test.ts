import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { initialCredentials } from "../../../libos/creds.ts";
import { cpuCount } from "../../../libos/host_cpus.ts";
import { CROSS_MOUNT, type FsStat } from "../../../fs-task/file_system.ts";
import { DT_DIR, DT_LNK, DT_REG } from "../../../linux-abi/dirent.ts";
import { EACCES, EBADF, EEXIST, EINVAL, EIO, EISDIR, ELOOP, ENOENT, ENOTDIR, EPERM } from "../../../linux-abi/errno.ts";
import { O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY, O_RDWR, O_WRONLY, W_OK, X_OK } from "../../../linux-abi/fcntl.ts";
import { RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT } from "../../../linux-abi/fs.ts";
import { SIGINT, SIGTERM, SIGUSR1, SIG_IGN } from "../../../linux-abi/signal.ts";
import { S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG } from "../../../linux-abi/stat.ts";
import { OpenFile, type FileOps } from "../../../libos/file.ts";
import { PROT_EXEC, PROT_READ, PROT_WRITE, STACK_TOP } from "../../../libos/memory.ts";
import { PipeEnd, PipeFs, type Pipe } from "../../../libos/pipe.ts";
import type { Process, Thread } from "../../../libos/process.ts";
import { ProcFs, REOPEN_FILE, type ProcFacts, type ProcMount } from "../../../libos/procfs.ts";
import { AGAIN, WaitQueue, sleep } from "../../../libos/wait_queue.ts";
import { RW, killInfo, makeProcess, makeThread } from "./_fake_process.ts";
import { UtsNames } from "../../../libos/uts.ts";

const IMAGE = 0x555555554000;

/** A description of the file (or directory, by `type`) at `path`, with a made-up stat. */
function namedFile(path: string, flags = O_RDONLY, type = S_IFREG): OpenFile {
  const st: FsStat = {
    dev: 7, ino: 99, mode: type | 0o644, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 5, blksize: 4096, blocks: 1,
    atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n,
  };
  const ops: FileOps = {
    path, seekable: true, read: () => 0, write: (src) => src.length, stat: () => st, readdir: () => -ENOTDIR,
    truncate: () => 0, ioctl: () => -25, poll: () => 5, readiness: null, release: () => {},
  };
  return new OpenFile(ops, flags);
}

interface World {
  fs: ProcFs;
  init: Process;
  p: Process;
  t: Thread;
  pipe: Pipe;
  setCurrent(t: Thread | null): void;
  mounts: ProcMount[];
}

/**
 * init (no threads) and its child `p`, the caller: an ELF image, a heap, a stack and an
 * anonymous mapping; fd 0 and 1 a pipe, fd 3 a named file; started 5 s after boot.
 */
function world(): World {
  const init = makeProcess();
  const p = makeProcess(undefined, init);
  init.children.add(p);
  const t = makeThread(p);
  t.name = "test";
  p.argv = ["test", "-v", "x y"];
  p.envp = ["HOME=/root", "TERM=dumb"];
  p.cwd = "/work";
  const m = p.memory;
  m.mapRegion(IMAGE, 0x3000, [
    { at: 0, size: 0x1000, prot: PROT_READ },
    { at: 0x1000, size: 0x1000, prot: PROT_READ | PROT_EXEC },
    { at: 0x2000, size: 0x1000, prot: RW },
  ], "image");
  m.initBrk(IMAGE + 0x3000);
  m.setBrk(IMAGE + 0x3000 + 100);
  m.setBrk(IMAGE + 0x3000 + 300 * 1024); // a second chunk: two brk Vmas, one [heap]
  m.mapRegion(STACK_TOP - 0x21000, 0x21000, [{ at: 0, size: 0x21000, prot: RW }], "stack");
  m.mmapAnonymous(0, 0x2000, RW, false);
  const pipe = new PipeFs().create();
  p.fds.install(new OpenFile(new PipeEnd(pipe, O_RDONLY), O_RDONLY), false);
  p.fds.install(new OpenFile(new PipeEnd(pipe, O_WRONLY), O_WRONLY), false);
  p.fds.installAt(3, namedFile("/tmp/data", O_RDWR), false);
  let current: Thread | null = t;
  const mounts: ProcMount[] = [
    { source: "hostfs", at: "/", type: "hostfs", options: "rw" },
    { source: "proc", at: "/proc", type: "proc", options: "rw,nosuid,nodev,noexec" },
  ];
  const facts: ProcFacts = {
    current: () => current,
    processes: new Map([[init.pid, init], [p.pid, p]]),
    bootTimeMs: p.startTimeMs - 5000,
    uts: new UtsNames("box"),
    memoryQuota: () => ({ total: 256 * 1024 * 1024, free: 200 * 1024 * 1024 }),
    mounts: () => mounts,
  };
  return { fs: new ProcFs(facts), init, p, t, pipe, setCurrent: (c) => void (current = c), mounts };
}

/** The whole text of a procfs file, read in small pieces. */
function read(fs: ProcFs, path: string): string {
  return new TextDecoder().decode(readBytes(fs, path));
}

/** The whole of a procfs file's bytes, read in small pieces. */
function readBytes(fs: ProcFs, path: string): Uint8Array {
  const h = fs.open(path, O_RDONLY, 0);
  expect(h).toBeGreaterThanOrEqual(0);
  const parts: number[] = [];
  const buf = new Uint8Array(7);
  for (let at = 0; ; ) {
    const n = fs.pread(h, buf, at);
    expect(n).toBeGreaterThanOrEqual(0);
    if (n === 0) break;
    parts.push(...buf.subarray(0, n));
    at += n;
  }
  expect(fs.close(h)).toBe(0);
  return new Uint8Array(parts);
}

/** Every entry of a directory as [name, DT_*]. */
function list(fs: ProcFs, path: string): [string, number][] {
  const h = fs.open(path, O_RDONLY | O_DIRECTORY, 0);
  expect(h).toBeGreaterThanOrEqual(0);
  const out: [string, number][] = [];
  for (let cookie = 0; ; ) {
    const page = fs.readdir(h, cookie, 3);
    if (typeof page === "number") throw new Error(`readdir failed: ${page}`);
    if (page.entries.length === 0) break;
    for (const e of page.entries) out.push([e.name, e.type]);
    cookie = page.nextCookie;
  }
  fs.close(h);
  return out;
}

function statOk(fs: ProcFs, path: string, follow = true): FsStat {
  const st = fs.stat(path, follow);
  if (typeof st === "number") throw new Error(`stat ${path} failed: ${st}`);
  return st;
}

/** The crossing of a call expected to answer CROSS_MOUNT. */
function crossed(fs: ProcFs, result: unknown): unknown {
  expect(result).toBe(CROSS_MOUNT);
  return fs.crossing();
}

describe("ProcFs directories", () => {
  it("readdir of the root lists . and .., the global entries, then every pid", () => {
    const w = world();
    const entries = list(w.fs, "/");
    expect(entries.slice(0, 2)).toEqual([[".", DT_DIR], ["..", DT_DIR]]);
    const names = entries.map(([n]) => n);
    for (const n of ["cmdline", "config.gz", "cpuinfo", "filesystems", "loadavg", "meminfo", "stat", "uptime", "version"]) {
      expect(entries).toContainEqual([n, DT_REG]);
    }
    expect(entries).toContainEqual(["self", DT_LNK]);
    expect(entries).toContainEqual(["mounts", DT_LNK]);
    expect(entries).toContainEqual(["sys", DT_DIR]);
    expect(names.slice(-2)).toEqual([String(w.init.pid), String(w.p.pid)]);
    expect(entries).toContainEqual([String(w.p.pid), DT_DIR]);
  });

  it("readdir of /PID lists its files, links and directories", () => {
    const w = world();
    const entries = new Map(list(w.fs, `/${w.p.pid}`));
    expect(entries.get("fd")).toBe(DT_DIR);
    expect(entries.get("task")).toBe(DT_DIR);
    expect(entries.get("exe")).toBe(DT_LNK);
    expect(entries.get("cwd")).toBe(DT_LNK);
    expect(entries.get("root")).toBe(DT_LNK);
    for (const f of ["cmdline", "environ", "maps", "stat", "statm", "status", "comm", "mounts"]) expect(entries.get(f)).toBe(DT_REG);
  });

  it("readdir of fd lists the open descriptors as links", () => {
    const w = world();
    expect(list(w.fs, "/self/fd")).toEqual([[".", DT_DIR], ["..", DT_DIR], ["0", DT_LNK], ["1", DT_LNK], ["3", DT_LNK]]);
    expect(statOk(w.fs, "/self/fd").size).toBe(3);
  });

  it("config.gz is the gzipped configuration of what the kernel-task implements", () => {
    const w = world();
    const text = gunzipSync(readBytes(w.fs, "/config.gz")).toString("latin1");
    expect(text).toMatch(/^CONFIG_MMU=y$/m);
    expect(text).toMatch(/^CONFIG_SYSVIPC=y$/m);
    expect(text).not.toMatch(/CONFIG_BPF/);
  });

  it("readdir restarts at cookie 0 and pages with the cookies it gave", () => {
    const w = world();
    const h = w.fs.open("/", O_RDONLY, 0);
    const first = w.fs.readdir(h, 0, 2);
    if (typeof first === "number") throw new Error("readdir failed");
    expect(first.entries.map((e) => e.name)).toEqual([".", ".."]);
    const next = w.fs.readdir(h, first.nextCookie, 1);
    if (typeof next === "number") throw new Error("readdir failed");
    expect(next.entries.map((e) => e.name)).toEqual(["cmdline"]);
    expect(w.fs.readdir(h, 0, 1)).toMatchObject({ entries: [{ name: "." }] });
  });

  it("task/ lists the threads, and /TID finds a thread that leads nothing", () => {
    const w = world();
    const second = makeThread(w.p);
    second.name = "worker";
    expect(list(w.fs, "/self/task").map(([n]) => n).slice(2)).toEqual([String(w.t.tid), String(second.tid)]);
    expect(read(w.fs, `/self/task/${second.tid}/comm`)).toBe("worker\n");
    expect(list(w.fs, `/self/task/${second.tid}`).map(([n]) => n)).not.toContain("task");
    expect(read(w.fs, `/${second.tid}/status`)).toMatch(new RegExp(`\\nTgid:\\t${w.p.pid}\\nNgid:\\t0\\nPid:\\t${second.tid}\\n`));
    expect(list(w.fs, "/").map(([n]) => n)).not.toContain(String(second.tid));
  });

  it("stat gives directories 0555, files 0444 and links 0777, owned by the process, size 0", () => {
    const w = world();
    w.p.creds = initialCredentials(1000, 100, [100]);
    const root = statOk(w.fs, "/");
    expect(root.mode).toBe(S_IFDIR | 0o555);
    expect(root.ino).toBe(1);
    const d = statOk(w.fs, "/self");
    expect(d.mode).toBe(S_IFDIR | 0o555);
    expect([d.uid, d.gid]).toEqual([1000, 100]);
    expect(d.nlink).toBe(5); // . .. fd fdinfo task
    const f = statOk(w.fs, "/self/status");
    expect(f.mode).toBe(S_IFREG | 0o444);
    expect(f.size).toBe(0);
    expect(statOk(w.fs, "/self/environ").mode & 0o777).toBe(0o400);
    expect(statOk(w.fs, "/self/fd").mode).toBe(S_IFDIR | 0o500);
    const l = statOk(w.fs, "/self", false);
    expect(l.mode).toBe(S_IFLNK | 0o777);
    expect([l.uid, l.size]).toEqual([0, 0]);
    expect(statOk(w.fs, "/uptime").uid).toBe(0);
  });

  it("inode numbers are stable per path and differ between paths", () => {
    const w = world();
    const a = statOk(w.fs, `/${w.p.pid}/stat`).ino;
    expect(statOk(w.fs, "/self/stat").ino).toBe(a);
    expect(statOk(w.fs, `/${w.p.pid}/status`).ino).not.toBe(a);
    expect(statOk(w.fs, "/uptime").ino).not.toBe(1);
  });
});

describe("ProcFs links and crossings", () => {
  it("self and thread-self name the caller; with no caller they are ENOENT", () => {
    const w = world();
    expect(w.fs.readlink("/self")).toBe(String(w.p.pid));
    expect(w.fs.readlink("/thread-self")).toBe(`${w.p.pid}/task/${w.t.tid}`);
    expect(statOk(w.fs, "/thread-self/comm").mode).toBe(S_IFREG | 0o644);
    expect(w.fs.realpath("/self/stat")).toBe(`/${w.p.pid}/stat`);
    expect(w.fs.realpath("/mounts")).toBe(`/${w.p.pid}/mounts`);
    w.setCurrent(null);
    expect(w.fs.readlink("/self")).toBe(-ENOENT);
    expect(w.fs.stat("/self/stat", true)).toBe(-ENOENT);
    expect(w.fs.stat("/self", false)).toMatchObject({ mode: S_IFLNK | 0o777 });
  });

  it("exe, cwd and root read as paths and cross when followed", () => {
    const w = world();
    expect(w.fs.readlink("/self/exe")).toBe("/bin/test");
    expect(w.fs.readlink("/self/cwd")).toBe("/work");
    expect(w.fs.readlink("/self/root")).toBe("/");
    expect(crossed(w.fs, w.fs.stat("/self/exe", true))).toEqual({ arg: 0, path: "/bin/test" });
    expect(crossed(w.fs, w.fs.stat("/self/cwd/a/b", false))).toEqual({ arg: 0, path: "/work/a/b" });
    expect(crossed(w.fs, w.fs.stat("/self/cwd/a/", true))).toEqual({ arg: 0, path: "/work/a/" });
    expect(crossed(w.fs, w.fs.stat("/self/root/etc", true))).toEqual({ arg: 0, path: "/etc" });
    expect(crossed(w.fs, w.fs.open("/self/exe", O_RDONLY, 0))).toEqual({ arg: 0, path: "/bin/test" });
    expect(crossed(w.fs, w.fs.mkdir("/self/cwd/new", 0o755))).toEqual({ arg: 0, path: "/work/new" });
    expect(crossed(w.fs, w.fs.rename("/uptime", "/self/cwd/x", 0))).toEqual({ arg: 1, path: "/work/x" });
    expect(crossed(w.fs, w.fs.realpath("/self/cwd"))).toEqual({ arg: 0, path: "/work" });
  });

  it("lstat and readlink do not follow; O_NOFOLLOW gives ELOOP unless O_PATH", () => {
    const w = world();
    expect(statOk(w.fs, "/self/exe", false).mode).toBe(S_IFLNK | 0o777);
    expect(w.fs.open("/self/exe", O_RDONLY | O_NOFOLLOW, 0)).toBe(-ELOOP);
    expect(w.fs.open("/self", O_RDONLY | O_NOFOLLOW, 0)).toBe(-ELOOP);
    const h = w.fs.open("/self/exe", O_PATH | O_NOFOLLOW, 0);
    expect(h).toBeGreaterThanOrEqual(0);
    expect(w.fs.fstat(h)).toMatchObject({ mode: S_IFLNK | 0o777 });
    expect(w.fs.pread(h, new Uint8Array(4), 0)).toBe(-EBADF);
  });

  it(".. above the root leaves procfs; below it, it walks back up", () => {
    const w = world();
    expect(crossed(w.fs, w.fs.stat("/..", true))).toEqual({ arg: 0, path: "../" });
    expect(crossed(w.fs, w.fs.stat("/../etc/passwd", true))).toEqual({ arg: 0, path: "../etc/passwd" });
    expect(crossed(w.fs, w.fs.stat("/self/../..", true))).toEqual({ arg: 0, path: "../" });
    expect(statOk(w.fs, "/self/..").ino).toBe(1);
    expect(statOk(w.fs, "/sys/kernel/../../uptime").mode).toBe(S_IFREG | 0o444);
  });

  it("a zombie's exe and cwd are ENOENT", () => {
    const w = world();
    w.p.state = "zombie";
    expect(w.fs.readlink(`/${w.p.pid}/exe`)).toBe(-ENOENT);
    expect(w.fs.stat(`/${w.p.pid}/cwd`, true)).toBe(-ENOENT);
    expect(list(w.fs, `/${w.p.pid}/fd`)).toEqual([[".", DT_DIR], ["..", DT_DIR]]);
  });

  it("a directory another mount covers is crossed into", () => {
    const w = world();
    expect(w.fs.setMountPoint(false, "/sys\0/other")).toBe(0);
    expect(crossed(w.fs, w.fs.stat("/sys/kernel/hostname", true))).toEqual({ arg: 0, path: "sys/kernel/hostname" });
    expect(crossed(w.fs, w.fs.stat("/sys", true))).toEqual({ arg: 0, path: "sys" });
  });
});

describe("ProcFs fd links", () => {
  it("readlink names the object: pipe:[N] or the path it was opened by", () => {
    const w = world();
    expect(w.fs.readlink("/self/fd/0")).toBe(`pipe:[${w.pipe.ino}]`);
    expect(w.fs.readlink("/self/fd/3")).toBe("/tmp/data");
    expect(w.fs.readlink("/self/fd/7")).toBe(-ENOENT);
    expect(w.fs.readlink("/self/fd/03")).toBe(-ENOENT);
  });

  it("lstat shows the access mode in the link's permissions", () => {
    const w = world();
    expect(statOk(w.fs, "/self/fd/0", false)).toMatchObject({ mode: S_IFLNK | 0o500, size: 64 });
    expect(statOk(w.fs, "/self/fd/1", false).mode).toBe(S_IFLNK | 0o300);
    expect(statOk(w.fs, "/self/fd/3", false).mode).toBe(S_IFLNK | 0o700);
  });

  it("stat follows the link to the open file itself", () => {
    const w = world();
    expect(statOk(w.fs, "/self/fd/0").mode & S_IFMT).toBe(S_IFIFO);
    expect(statOk(w.fs, "/self/fd/3")).toMatchObject({ dev: 7, ino: 99 });
    expect(w.fs.access("/self/fd/0", 0)).toBe(0);
  });

  it("walking through a file is ENOTDIR; through a directory it crosses at its path", () => {
    const w = world();
    expect(w.fs.stat("/self/fd/0/", true)).toBe(-ENOTDIR);
    expect(w.fs.stat("/self/fd/0/x", true)).toBe(-ENOTDIR);
    expect(w.fs.stat("/self/fd/3/x", true)).toBe(-ENOTDIR);
    w.p.fds.installAt(4, namedFile("/work", O_RDONLY, S_IFDIR), false);
    expect(crossed(w.fs, w.fs.stat("/self/fd/4/x", true))).toEqual({ arg: 0, path: "/work/x" });
    expect(crossed(w.fs, w.fs.stat("/self/fd/4/", true))).toEqual({ arg: 0, path: "/work/" });
    expect(crossed(w.fs, w.fs.realpath("/self/fd/3"))).toEqual({ arg: 0, path: "/tmp/data" });
    expect(w.fs.realpath("/self/fd/0")).toBe(-ENOENT);
  });

  it("open answers REOPEN_FILE and reopenTarget() gives the open file", () => {
    const w = world();
    expect(w.fs.open("/self/fd/1", O_WRONLY, 0)).toBe(REOPEN_FILE);
    expect(w.fs.reopenTarget()).toBe(w.p.fds.get(1));
    expect(w.fs.open(`/${w.p.pid}/fd/3`, O_RDONLY, 0)).toBe(REOPEN_FILE);
    expect(w.fs.reopenTarget()).toBe(w.p.fds.get(3));
    expect(w.fs.open("/self/fd/3", O_RDONLY | O_DIRECTORY, 0)).toBe(-ENOTDIR);
    expect(w.fs.open("/self/fd/3", O_RDONLY | O_NOFOLLOW, 0)).toBe(-ELOOP);
    expect(w.fs.open("/self/fd/9", O_RDONLY, 0)).toBe(-ENOENT);
  });
});

describe("ProcFs per-process files", () => {
  it("cmdline and environ are NUL-terminated strings", () => {
    const w = world();
    expect(read(w.fs, "/self/cmdline")).toBe("test\0-v\0x y\0");
    expect(read(w.fs, "/self/environ")).toBe("HOME=/root\0TERM=dumb\0");
  });

  it("comm is the thread name; writing it renames the thread", () => {
    const w = world();
    expect(read(w.fs, "/self/comm")).toBe("test\n");
    const h = w.fs.open("/self/comm", O_WRONLY, 0);
    expect(w.fs.pwrite(h, new TextEncoder().encode("a-very-long-thread-name"), 0)).toBe(23);
    expect(w.t.name).toBe("a-very-long-thr");
    w.setCurrent(makeThread(makeProcess()));
    expect(w.fs.pwrite(h, new TextEncoder().encode("x"), 0)).toBe(-EINVAL);
  });

  it("stat has 52 fields in Linux's order", () => {
    const w = world();
    w.t.sigmask = 1n << BigInt(SIGINT - 1);
    w.p.sigactions.set(SIGTERM, { sa_handler: 0x401000, sa_flags: 0, sa_restorer: 0, sa_mask: 0n });
    const line = read(w.fs, "/self/stat");
    expect(line.endsWith("\n")).toBe(true);
    const f = line.trimEnd().split(" ");
    expect(f).toHaveLength(52);
    expect(f.slice(0, 6)).toEqual([String(w.p.pid), "(test)", "R", String(w.init.pid), String(w.p.pgid), String(w.p.sid)]);
    expect(f[19]).toBe("1"); // num_threads
    expect(f[21]).toBe("500"); // starttime: 5 s after boot in 100 Hz ticks
    const size = 0x3000 + 0x80000 + 0x21000 + 0x2000; // image, two brk chunks, stack, anon
    expect(Number(f[22])).toBe(size);
    expect(Number(f[23])).toBe(size / 4096);
    expect(f[24]).toBe("18446744073709551615");
    expect(Number(f[25])).toBe(IMAGE + 0x1000); // startcode
    expect(Number(f[26])).toBe(IMAGE + 0x2000); // endcode
    expect(f[31]).toBe(String(1 << (SIGINT - 1))); // blocked
    expect(f[33]).toBe(String(1 << (SIGTERM - 1))); // sigcatch
    expect(f[37]).toBe("17"); // exit_signal
    expect(Number(f[46])).toBe(IMAGE + 0x3000); // start_brk
  });

  it("a zombie's stat says Z and carries its wait status", () => {
    const w = world();
    w.p.state = "zombie";
    w.p.exitCode = 3;
    const f = read(w.fs, `/${w.p.pid}/stat`).trimEnd().split(" ");
    expect(f[2]).toBe("Z");
    expect(f[22]).toBe("0");
    expect(f[51]).toBe(String(3 << 8));
    expect(read(w.fs, `/${w.p.pid}/cmdline`)).toBe("");
    expect(read(w.fs, `/${w.p.pid}/status`)).not.toContain("VmSize");
  });

  it("status reports ids, masks, memory and threads as Linux formats them", () => {
    const w = world();
    w.p.umask = 0o027;
    w.t.sigmask = 1n << BigInt(SIGINT - 1);
    w.p.sigactions.set(SIGUSR1, { sa_handler: SIG_IGN, sa_flags: 0, sa_restorer: 0, sa_mask: 0n });
    w.p.sigactions.set(SIGTERM, { sa_handler: 0x401000, sa_flags: 0, sa_restorer: 0, sa_mask: 0n });
    w.p.pending.add(killInfo(SIGTERM));
    const s = read(w.fs, "/self/status");
    const field = (name: string): string | undefined => new RegExp(`^${name}:\\t(.*)$`, "m").exec(s)?.[1];
    expect(s.startsWith("Name:\ttest\nUmask:\t0027\nState:\tR (running)\n")).toBe(true);
    expect(field("Tgid")).toBe(String(w.p.pid));
    expect(field("Pid")).toBe(String(w.p.pid));
    expect(field("PPid")).toBe(String(w.init.pid));
    expect(field("Uid")).toBe("0\t0\t0\t0");
    expect(field("FDSize")).toBe("64");
    expect(s).toContain("\nGroups:\t \n");
    expect(field("VmSize")).toBe(`${String((0x3000 + 0x80000 + 0x21000 + 0x2000) / 1024).padStart(8)} kB`);
    expect(field("VmStk")).toBe("     132 kB");
    expect(field("VmExe")).toBe("       4 kB");
    expect(field("Threads")).toBe("1");
    expect(field("SigQ")).toBe("1/1024");
    expect(field("SigPnd")).toBe("0000000000000000");
    expect(field("ShdPnd")).toBe((1n << BigInt(SIGTERM - 1)).toString(16).padStart(16, "0"));
    expect(field("SigBlk")).toBe("0000000000000002");
    expect(field("SigIgn")).toBe("0000000000000200");
    expect(field("SigCgt")).toBe("0000000000004000");
    expect(field("CapEff")).toBe("000001ffffffffff");
    expect(field("Cpus_allowed_list")).toBe(cpuCount() === 1 ? "0" : `0-${cpuCount() - 1}`);
  });

  it("status shows S for a thread asleep and T for a stopped process", () => {
    const w = world();
    const other = makeThread(makeProcess());
    w.setCurrent(other);
    void sleep(w.t, [new WaitQueue()], () => AGAIN);
    expect(w.t.sleeper).not.toBeNull();
    expect(read(w.fs, `/${w.p.pid}/status`)).toContain("\nState:\tS (sleeping)\n");
    w.p.stopped = true;
    expect(read(w.fs, `/${w.p.pid}/stat`).split(" ")[2]).toBe("T");
  });

  it("maps lists the mappings like Linux, merged, with [heap] and [stack]", () => {
    const w = world();
    const lines = read(w.fs, "/self/maps").split("\n").filter((l) => l !== "");
    const hex = (n: number): string => n.toString(16);
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe(`${hex(IMAGE)}-${hex(IMAGE + 0x1000)} r--p 00000000 00:00 0`.padEnd(73) + "/bin/test");
    expect(lines[1]).toBe(`${hex(IMAGE + 0x1000)}-${hex(IMAGE + 0x2000)} r-xp 00001000 00:00 0`.padEnd(73) + "/bin/test");
    expect(lines[2]).toMatch(/^555555556000-555555557000 rw-p 00002000 00:00 0 +\/bin\/test$/);
    expect(lines[3]).toBe(`${hex(IMAGE + 0x3000)}-${hex(IMAGE + 0x3000 + 0x80000)} rw-p 00000000 00:00 0`.padEnd(73) + "[heap]");
    expect(lines[4]).toMatch(/^7ffff7ffd000-7ffff7fff000 rw-p 00000000 00:00 0 $/);
    expect(lines[5]).toBe(`${hex(STACK_TOP - 0x21000)}-${hex(STACK_TOP)} rw-p 00000000 00:00 0`.padEnd(73) + "[stack]");
  });

  it("statm counts pages", () => {
    const w = world();
    const total = (0x3000 + 0x80000 + 0x21000 + 0x2000) / 4096;
    expect(read(w.fs, "/self/statm")).toBe(`${total} ${total} 3 1 0 ${total - 3 - 0x21 + 1} 0\n`);
  });

  it("mounts lists the mount table, escaping spaces; /mounts is a link to it", () => {
    const w = world();
    w.mounts.push({ source: "tmpfs", at: "/mnt/my disk", type: "tmpfs", options: "rw" });
    const text = "hostfs / hostfs rw 0 0\nproc /proc proc rw,nosuid,nodev,noexec 0 0\ntmpfs /mnt/my\\040disk tmpfs rw 0 0\n";
    expect(read(w.fs, "/self/mounts")).toBe(text);
    expect(w.fs.readlink("/mounts")).toBe("self/mounts");
    expect(read(w.fs, "/mounts")).toBe(text);
  });
});

describe("ProcFs global files", () => {
  it("meminfo pads names to 16 columns and values to 8, in kB", () => {
    const w = world();
    const text = read(w.fs, "/meminfo");
    expect(text.startsWith("MemTotal:         262144 kB\nMemFree:          204800 kB\nMemAvailable:     204800 kB\n")).toBe(true);
    expect(text).toContain("\nHugePages_Total:       0\n");
    expect(text.endsWith("Hugetlb:               0 kB\n")).toBe(true);
  });

  it("uptime counts from boot; loadavg and stat give the host's load and CPU times and the thread counts", () => {
    const w = world();
    const [up, idle] = read(w.fs, "/uptime").trimEnd().split(" ").map(Number);
    expect(up).toBeGreaterThanOrEqual(5);
    expect(up).toBeLessThan(60);
    expect(idle).toBe(0);
    expect(read(w.fs, "/loadavg")).toMatch(new RegExp(`^\\d+\\.\\d\\d \\d+\\.\\d\\d \\d+\\.\\d\\d 1/1 ${w.p.pid}\\n$`));
    const stat = read(w.fs, "/stat");
    expect(stat).toMatch(/^cpu  \d+ \d+ \d+ [1-9]\d* 0 \d+ 0 0 0 0\ncpu0 /);
    expect(stat.match(/^cpu\d+ /gm)).toHaveLength(cpuCount());
    expect(stat).toMatch(/\nbtime \d+\n/);
    expect(stat).toContain("\nprocs_running 1\n");
  });

  it("cpuinfo describes one CPU per host CPU", () => {
    const w = world();
    const text = read(w.fs, "/cpuinfo");
    expect(text.startsWith("processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 60\n")).toBe(true);
    expect(text).toMatch(/\nflags\t\t: fpu .* sse sse2 .* lm .*sse4_2/);
    expect(text.match(/^processor/gm)).toHaveLength(cpuCount());
    expect(text.endsWith("power management:\n\n")).toBe(true);
  });

  it("filesystems, version and sys", () => {
    const w = world();
    const fsList = read(w.fs, "/filesystems");
    expect(fsList).toBe("nodev\tproc\nnodev\ttmpfs\nnodev\tdevpts\n");
    expect(read(w.fs, "/version")).toMatch(/^Linux version \S+ /);
    expect(read(w.fs, "/sys/kernel/hostname")).toBe("box\n");
    expect(read(w.fs, "/sys/kernel/ostype")).toBe("Linux\n");
    expect(read(w.fs, "/sys/kernel/pid_max")).toBe("32768\n");
    expect(read(w.fs, "/sys/kernel/random/boot_id")).toBe(read(w.fs, "/sys/kernel/random/boot_id"));
    expect(read(w.fs, "/sys/vm/overcommit_memory")).toBe("0\n");
    expect(list(w.fs, "/sys/kernel").map(([n]) => n)).toEqual(expect.arrayContaining(["hostname", "osrelease", "ostype", "random", "pid_max"]));
    expect(list(w.fs, "/sys").map(([n]) => n).slice(2)).toEqual(["kernel", "vm", "fs", "net"]);
  });

  it("a file's text is a snapshot taken at open: later changes do not show, any offset reads it", () => {
    const w = world();
    const h = w.fs.open("/self/cmdline", O_RDONLY, 0);
    w.p.argv = ["changed"];
    const buf = new Uint8Array(64);
    const n = w.fs.pread(h, buf, 5);
    expect(new TextDecoder().decode(buf.subarray(0, n))).toBe("-v\0x y\0");
    expect(w.fs.pread(h, buf, 1000)).toBe(0);
    expect(w.fs.fstat(h)).toMatchObject({ size: 0, mode: S_IFREG | 0o444 });
    w.fs.close(h);
    expect(read(w.fs, "/self/cmdline")).toBe("changed\0");
  });
});

describe("ProcFs errors", () => {
  it("writes open as root's do, then fail: EIO globally, EINVAL in a process directory", () => {
    const w = world();
    const g = w.fs.open("/uptime", O_WRONLY, 0);
    expect(w.fs.pwrite(g, new Uint8Array(1), 0)).toBe(-EIO);
    const p = w.fs.open("/self/stat", O_RDWR, 0);
    expect(w.fs.pwrite(p, new Uint8Array(1), 0)).toBe(-EINVAL);
    expect(w.fs.ftruncate(p, 0)).toBe(0);
    const r = w.fs.open("/self/stat", O_RDONLY, 0);
    expect(w.fs.pwrite(r, new Uint8Array(1), 0)).toBe(-EBADF);
    expect(w.fs.ftruncate(r, 0)).toBe(-EINVAL);
    expect(w.fs.pread(g, new Uint8Array(1), 0)).toBe(-EBADF);
    expect(w.fs.close(99)).toBe(-EBADF);
  });

  it("open: ENOENT to create, EEXIST when exclusive, EISDIR and ENOTDIR by type", () => {
    const w = world();
    expect(w.fs.open("/nothing", O_WRONLY | O_CREAT, 0o644)).toBe(-ENOENT);
    expect(w.fs.open("/uptime", O_WRONLY | O_CREAT | O_EXCL, 0o644)).toBe(-EEXIST);
    expect(w.fs.open("/uptime", O_RDONLY | O_CREAT, 0o644)).toBeGreaterThanOrEqual(0);
    expect(w.fs.open("/self", O_WRONLY, 0)).toBe(-EISDIR);
    expect(w.fs.open("/", O_RDONLY | O_CREAT, 0)).toBe(-EISDIR);
    expect(w.fs.open("/uptime", O_RDONLY | O_DIRECTORY, 0)).toBe(-ENOTDIR);
    expect(w.fs.open("/uptime", O_PATH | O_DIRECTORY, 0)).toBe(-ENOTDIR);
    expect(w.fs.open("/uptime/", O_RDONLY, 0)).toBe(-ENOTDIR);
    expect(w.fs.open("/uptime/x", O_RDONLY, 0)).toBe(-ENOTDIR);
    expect(w.fs.open("/0", O_RDONLY, 0)).toBe(-ENOENT);
    expect(w.fs.open("/99999", O_RDONLY, 0)).toBe(-ENOENT);
    const d = w.fs.open("/self", O_RDONLY, 0);
    expect(w.fs.pread(d, new Uint8Array(1), 0)).toBe(-EISDIR);
  });

  it("nothing can be created, removed or renamed, with Linux's errors", () => {
    const w = world();
    expect(w.fs.mkdir("/x", 0o755)).toBe(-ENOENT);
    expect(w.fs.mkdir("/self/x", 0o755)).toBe(-ENOENT);
    expect(w.fs.mkdir("/self", 0o755)).toBe(-EEXIST);
    expect(w.fs.mkdir("/uptime", 0o755)).toBe(-EEXIST);
    expect(w.fs.symlink("a", "/x")).toBe(-ENOENT);
    expect(w.fs.symlink("a", "/uptime")).toBe(-EEXIST);
    expect(w.fs.mknod("/x", 0o600, 0)).toBe(-ENOENT);
    expect(w.fs.link("/uptime", "/x")).toBe(-ENOENT);
    expect(w.fs.link("/uptime", "/loadavg")).toBe(-EEXIST);
    expect(w.fs.unlink("/uptime")).toBe(-EPERM);
    expect(w.fs.unlink("/self")).toBe(-EPERM);
    expect(w.fs.unlink("/self/fd/0")).toBe(-EPERM);
    expect(w.fs.unlink("/x")).toBe(-ENOENT);
    expect(w.fs.unlink("/sys")).toBe(-EISDIR);
    expect(w.fs.rmdir(`/${w.p.pid}`)).toBe(-EPERM);
    expect(w.fs.rmdir("/self/")).toBe(-ENOTDIR);
    expect(w.fs.rmdir("/uptime")).toBe(-ENOTDIR);
    expect(w.fs.rmdir("/x")).toBe(-ENOENT);
    expect(w.fs.rename("/uptime", "/x", 0)).toBe(-ENOENT);
    expect(w.fs.rename("/x", "/y", 0)).toBe(-ENOENT);
    expect(w.fs.rename("/uptime", "/loadavg", 0)).toBe(-EPERM);
    expect(w.fs.rename("/uptime", "/loadavg", RENAME_EXCHANGE)).toBe(-EPERM);
    expect(w.fs.rename("/uptime", "/loadavg", RENAME_NOREPLACE)).toBe(-EEXIST);
    expect(w.fs.rename("/uptime", "/x", RENAME_EXCHANGE)).toBe(-ENOENT);
    expect(w.fs.rename("/uptime", "/loadavg", RENAME_WHITEOUT)).toBe(-EINVAL);
    expect(w.fs.chmod("/self/stat", 0o644)).toBe(-EPERM);
    expect(w.fs.chown("/self/stat", 0, 0, true)).toBe(-EPERM);
    expect(w.fs.utimens("/self/stat", "now", "now", true)).toBe(0);
    expect(w.fs.utimens("/x", "now", "now", true)).toBe(-ENOENT);
  });

  it("readlink of anything but a link is EINVAL; access checks execute bits only", () => {
    const w = world();
    expect(w.fs.readlink("/uptime")).toBe(-EINVAL);
    expect(w.fs.readlink("/")).toBe(-EINVAL);
    expect(w.fs.readlink("/self/")).toBe(-EINVAL);
    expect(w.fs.access("/uptime", W_OK)).toBe(0);
    expect(w.fs.access("/uptime", X_OK)).toBe(-EACCES);
    expect(w.fs.access("/self", X_OK)).toBe(0);
    expect(w.fs.access("/x", 0)).toBe(-ENOENT);
    expect(w.fs.statfs("/")).toMatchObject({ type: 0x9fa0, namelen: 255 });
    expect(w.fs.crossing()).toBe(-EINVAL);
  });
});
