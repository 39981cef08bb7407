// ProcFs: /proc, served by the kernel-task, which owns every fact it shows.
//
//   /              cmdline config.gz cpuinfo filesystems loadavg meminfo stat uptime version, sys/ (the
//                  sysctls of procfs_sys.ts), net/ (dev route tcp udp …: procfs_net.ts, empty
//                  without a net-task), mounts → self/mounts, self → PID,
//                  thread-self → PID/task/TID, and a directory per process, zombies too
//   /PID/          cmdline comm cwd→ environ exe→ fd/ maps mounts root→ stat statm
//                  status task/; /PID/task/TID/ holds the same files as thread TID
//                  sees them, and /TID finds a thread that is not its process's leader
//   /PID/fd/N      a "magic" link: readlink names the file, following it reaches the
//                  open file itself (stat is its fstat; open answers REOPEN_FILE)
//
// Nothing is stored: a lookup builds the node it needs from the processes, and a file's
// text is generated when it is opened into a snapshot the handle keeps (Linux's
// seq_file), so every read sees one consistent text; st_size is 0, as on Linux.
//
// Walks follow links inside procfs ("self" → "42"). A link to an absolute path (exe,
// cwd, root, an fd/N directory) and ".." above the root leave procfs: the call
// answers CROSS_MOUNT and crossing() says where the walk goes on (file_system.ts).
// open() of a followed fd/N answers REOPEN_FILE and reopenTarget() gives the open file,
// which the kernel-task opens again as Linux does (a new description of the same file).
//
// Errors are Linux's as root meets them: a missing name is ENOENT even for mkdir or
// O_CREAT (proc lookups never give a negative dentry), an existing one EEXIST or EPERM;
// writes open, then fail with EIO (global files) or EINVAL (a process's), except comm,
// which renames the thread. chmod and chown are EPERM; utimens is accepted and forgotten,
// as Linux forgets it when the inode is rebuilt.
//
// Linux: fs/proc/ (base.c, array.c, fd.c, task_mmu.c, meminfo.c, loadavg.c, stat.c),
// arch/x86/kernel/cpu/proc.c.

import { readFileSync } from "node:fs";
import { release, version } from "node:os";
import { bytesToString, stringToBytes } from "../linux-abi/_byte_string.ts";
import { CROSS_MOUNT, isRenameFlags, type FileSystem, type FsCrossing, type FsDirEntry, type FsDirPage, type FsResult, type FsStat, type FsStatFs, type FsTime } from "../fs-task/file_system.ts";
import { DT_DIR, DT_LNK, DT_REG } from "../linux-abi/dirent.ts";
import { EACCES, EBADF, EBUSY, EEXIST, EINVAL, EIO, EISDIR, ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR, ENOTEMPTY, EPERM } from "../linux-abi/errno.ts";
import { O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY, O_WRONLY, X_OK } from "../linux-abi/fcntl.ts";
import { RENAME_NOREPLACE } from "../linux-abi/fs.ts";
import { RLIMIT_RSS, RLIMIT_SIGPENDING, RLIM_INFINITY } from "../linux-abi/resource.ts";
import { SIG_DFL, SIG_IGN, type Sigset } from "../linux-abi/signal.ts";
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from "../linux-abi/stat.ts";
import type { OpenFile } from "./file.ts";
import { PAGE, PROT_EXEC, PROT_READ, PROT_WRITE, type Vma } from "./memory.ts";
import type { Process, Thread } from "./process.ts";
import { NO_SESSION } from "./terminal.ts";
import { cpuCount, cpuList, cpuMaskHex, cpuTicks, hostLoad } from "./host_cpus.ts";
import { sysctlFiles, type Sysctl } from "./procfs_sys.ts";
import { PROC_NET_FILES, procNetText } from "./procfs_net.ts";
import type { InetSockets } from "./inet_socket.ts";
import { kernelConfigGz } from "./kernel_config.ts";
import type { UtsNames } from "./uts.ts";

/** What procfs reads from the kernel-task. */
export interface ProcFacts {
  /** The thread whose call is being served ("self", "thread-self"), null outside a call. */
  current(): Thread | null;
  /** pid → process, zombies included. */
  readonly processes: ReadonlyMap<number, Process>;
  /** performance.now() when the user kernel booted (Process.startTimeMs counts on that clock). */
  readonly bootTimeMs: number;
  /** The host and domain names, /proc/sys/kernel/{hostname,domainname}. */
  readonly uts: UtsNames;
  memoryQuota(): { total: number; free: number };
  mounts(): readonly ProcMount[];
  /** The AF_INET sockets and their net-task, for /proc/net; null without one. */
  net?(): InetSockets | null;
  /** The services' tunables under /proc/sys (keys, message queues, inotify). */
  readonly sysctls?: readonly Sysctl[];
  /** The services' files at the top (/proc/keys, /proc/key-users): their text for the reader. */
  readonly files?: ReadonlyMap<string, (reader: Thread | null) => string>;
}

/** One line of /proc/mounts; `type` is a name /proc/filesystems lists ("tmpfs", "proc", …). */
export interface ProcMount {
  source: string;
  at: string;
  type: string;
  options: string;
}

/** open() followed a /proc/PID/fd/N link: reopenTarget() names the file to open again. */
export const REOPEN_FILE = -4097;

// st_dev of proc, 0:21 as on a typical Linux (below the 0:N numbers fs-task/_anon_dev.ts hands out).
const PROC_DEV = 21;
const PROC_ROOT_INO = 1;
const PROC_SUPER_MAGIC = 0x9fa0;
const MAX_SYMLINKS = 40;
const NAME_MAX = 255;
const CLOCK_TICKS_PER_S = 100;
// process.ts queues at most this many real-time signals (its RT_QUEUE_LIMIT).
const SIGQ_DEFAULT_LIMIT = 1024;
// /proc/filesystems: the types mount(2) can make (sys/sys_mount.ts), in the order sysfs(2)
// numbers them. The image, the host volumes and /dev are there from boot and cannot be
// mounted again, so they are not listed.
export const FILESYSTEM_TYPES = ["proc", "tmpfs", "devpts"];

// The engine's CPUID (Unicorn's default x86-64 model): leaf 0 eax 0xd, leaf 1 eax 0x306c4,
// ecx 0xced82203, edx 0x078bfbfd, leaf 7 ebx 0x389, 0x80000001 ecx 0x21 edx 0x28100800,
// 0x80000008 eax 0x3028; the flags are those bits under Linux's names. The guest has one
// CPU (sched_getaffinity says so).
const CPU_FLAGS =
  "fpu de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 syscall nx rdtscp lm " +
  "pni pclmulqdq ssse3 cx16 sse4_1 sse4_2 movbe popcnt aes xsave rdrand hypervisor lahf_lm abm fsgsbase bmi1 smep bmi2 erms";

interface NodeBase {
  /** Canonical path inside procfs ("/", "/42/fd/3"): realpath's answer and the inode's key. */
  readonly path: string;
  readonly perm: number;
  /** The process whose directory holds the node; null for the global (root-owned) ones. */
  readonly owner: Process | null;
}

interface DirNode extends NodeBase {
  readonly type: "dir";
  names(): string[];
  child(name: string): ProcNode | undefined;
}

interface FileNode extends NodeBase {
  readonly type: "file";
  text(): string;
  /** Bytes taken, or -errno. */
  write(src: Uint8Array): number;
}

interface LinkNode extends NodeBase {
  readonly type: "link";
  readonly size: number;
  target(): LinkTarget | number;
}

type ProcNode = DirNode | FileNode | LinkNode;

interface LinkTarget {
  text: string;
  /** The open file a /proc/PID/fd/N link jumps to. */
  file: OpenFile | null;
}

/** A walk that ended by following an fd/N link: the open file, not a path. */
interface FdJump {
  readonly file: OpenFile;
}

/** A process directory (/PID) or a thread's (/PID/task/TID). */
interface TaskView {
  p: Process;
  /** The thread it shows: the leader for /PID, none for a zombie or init. */
  t: Thread | null;
  dir: string;
  isThread: boolean;
}

interface Handle {
  node: ProcNode;
  flags: number;
  /** A file's text as generated at open. */
  snapshot: Uint8Array | null;
  /** A directory's entries as read at cookie 0. */
  listing: FsDirEntry[] | null;
}

const PID_ENTRIES = ["task", "fd", "fdinfo", "environ", "status", "comm", "cmdline", "stat", "statm", "maps", "cwd", "root", "exe", "mounts"];
const THREAD_ENTRIES = PID_ENTRIES.filter((n) => n !== "task");
const ROOT_ENTRIES = ["cmdline", "config.gz", "cpuinfo", "filesystems", "key-users", "keys", "loadavg", "meminfo", "mounts", "net", "self", "stat", "sys", "thread-self", "uptime", "version"];

export class ProcFs implements FileSystem {
  readonly #facts: ProcFacts;
  readonly #handles = new Map<number, Handle>();
  readonly #cpuMhz: number;
  readonly #sysctl: ReadonlyMap<string, Sysctl>;
  #atRoot = false;
  #covered = new Set<string>();
  #crossing: FsCrossing | null = null;
  #reopen: OpenFile | null = null;

  constructor(facts: ProcFacts) {
    this.#facts = facts;
    this.#cpuMhz = hostCpuMhz();
    this.#sysctl = sysctlFiles(facts.uts, facts.sysctls ?? []);
  }

  /** The open file of the last open() that answered REOPEN_FILE. */
  reopenTarget(): OpenFile | null {
    return this.#reopen;
  }

  // ----- FileSystem: handles ---------------------------------------------------------

  /** The process whose /proc/PID directory `handle` holds open (a pidfd for pidfd_send_signal), or null. */
  processOf(handle: number): Process | null {
    const node = this.#handles.get(handle)?.node;
    return node?.type === "dir" && /^\/\d+$/.test(node.path) ? node.owner : null;
  }

  open(path: string, flags: number, _mode: number): number {
    if (flags & O_CREAT && path.endsWith("/")) return -EISDIR;
    const exclusive = (flags & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL);
    const found = this.#walk(path, (flags & O_NOFOLLOW) === 0 && !exclusive, 0);
    if (typeof found === "number") return found;
    if (exclusive) return -EEXIST;
    if ("file" in found) {
      const st = found.file.ops.stat();
      if (flags & O_DIRECTORY && typeof st !== "number" && (st.mode & S_IFMT) !== S_IFDIR) return -ENOTDIR;
      this.#reopen = found.file;
      return REOPEN_FILE;
    }
    const node = found;
    if (node.type === "link" && !(flags & O_PATH)) return -ELOOP;
    if (node.type === "dir" && !(flags & O_PATH) && ((flags & O_ACCMODE) !== O_RDONLY || flags & O_CREAT)) return -EISDIR;
    if (node.type !== "dir" && flags & O_DIRECTORY) return -ENOTDIR;
    // A sysctl checks its mode bits even for root (proc_sys_permission): 0444, or 0644 for
    // a tunable, which only root writes.
    if (node.type === "file" && node.path.startsWith("/sys/") && (flags & O_ACCMODE) !== O_RDONLY && !(flags & O_PATH)) {
      if (!(node.perm & 0o200) || this.#facts.current()?.creds.euid !== 0) return -EACCES;
    }
    const snapshot = node.type === "file" && !(flags & O_PATH) ? stringToBytes(node.text()) : null;
    let handle = 0;
    while (this.#handles.has(handle)) handle++;
    this.#handles.set(handle, { node, flags, snapshot, listing: null });
    return handle;
  }

  close(handle: number): number {
    return this.#handles.delete(handle) ? 0 : -EBADF;
  }

  pread(handle: number, dst: Uint8Array, offset: number): number {
    const h = this.#handles.get(handle);
    if (!h || h.flags & O_PATH || (h.flags & O_ACCMODE) === O_WRONLY) return -EBADF;
    if (h.node.type === "dir") return -EISDIR;
    const text = h.snapshot!;
    if (offset >= text.length) return 0;
    const part = text.subarray(offset, offset + dst.length);
    dst.set(part);
    return part.length;
  }

  pwrite(handle: number, src: Uint8Array, _offset: number): number {
    const h = this.#handles.get(handle);
    if (!h || h.flags & O_PATH || (h.flags & O_ACCMODE) === O_RDONLY) return -EBADF;
    return h.node.type === "file" ? h.node.write(src) : -EISDIR;
  }

  fstat(handle: number): FsResult<FsStat> {
    const h = this.#handles.get(handle);
    return h ? this.#statOf(h.node) : -EBADF;
  }

  readdir(handle: number, cookie: number, max: number): FsResult<FsDirPage> {
    const h = this.#handles.get(handle);
    if (!h || h.flags & O_PATH) return -EBADF;
    if (h.node.type !== "dir") return -ENOTDIR;
    if (!Number.isSafeInteger(cookie) || cookie < 0 || !Number.isSafeInteger(max) || max <= 0) return -EINVAL;
    if (cookie === 0 || h.listing === null) h.listing = this.#listing(h.node);
    const entries = h.listing.slice(cookie, cookie + max);
    return { entries, nextCookie: cookie + entries.length };
  }

  ftruncate(handle: number, _size: number): number {
    const h = this.#handles.get(handle);
    if (!h || h.flags & O_PATH) return -EBADF;
    // Linux accepts a truncate of a proc file opened for writing, and it changes nothing.
    return h.node.type === "file" && (h.flags & O_ACCMODE) !== O_RDONLY ? 0 : -EINVAL;
  }

  isatty(_handle: number): boolean {
    return false;
  }

  // ----- FileSystem: paths -------------------------------------------------------------

  stat(path: string, followSymlinks: boolean): FsResult<FsStat> {
    const found = this.#walk(path, followSymlinks, 0);
    if (typeof found === "number") return found;
    return "file" in found ? found.file.ops.stat() : this.#statOf(found);
  }

  readlink(path: string): FsResult<string> {
    const found = this.#walk(path, false, 0);
    if (typeof found === "number") return found;
    if ("file" in found || found.type !== "link") return -EINVAL;
    const target = found.target();
    return typeof target === "number" ? target : target.text;
  }

  access(path: string, mode: number): number {
    if (mode & ~7) return -EINVAL;
    const found = this.#walk(path, true, 0);
    if (typeof found === "number") return found;
    if ("file" in found) return 0;
    return mode & X_OK && found.type === "file" && !(found.perm & 0o111) ? -EACCES : 0;
  }

  realpath(path: string): FsResult<string> {
    const found = this.#pathOnly(this.#walk(path, true, 0));
    return typeof found === "number" ? found : found.path;
  }

  mkdir(path: string, _mode: number): number {
    return this.#create(path, 0);
  }

  symlink(_target: string, path: string): number {
    return this.#create(path, 0);
  }

  mknod(path: string, _mode: number, _rdev: number): number {
    return this.#create(path, 0);
  }

  link(existing: string, path: string): number {
    const from = this.#walk(existing, false, 0);
    return typeof from === "number" ? from : this.#create(path, 1);
  }

  unlink(path: string): number {
    const found = this.#walk(path, false, 0);
    if (typeof found === "number") return found;
    return !("file" in found) && found.type === "dir" ? -EISDIR : -EPERM;
  }

  rmdir(path: string): number {
    const trimmed = path.replace(/\/+$/, "");
    const last = trimmed.slice(trimmed.lastIndexOf("/") + 1);
    if (last === ".") return -EINVAL;
    if (last === "..") return -ENOTEMPTY;
    if (trimmed === "") return -EBUSY;
    const found = this.#walk(trimmed, false, 0);
    if (typeof found === "number") return found;
    return !("file" in found) && found.type === "dir" ? -EPERM : -ENOTDIR;
  }

  /** Linux looks both names up (EEXIST for RENAME_NOREPLACE) before procfs refuses. */
  rename(from: string, to: string, flags: number): number {
    if (!isRenameFlags(flags)) return -EINVAL;
    const source = this.#walk(from, false, 0);
    if (typeof source === "number") return source;
    const dest = this.#walk(to, false, 1);
    if (typeof dest === "number") return dest;
    return flags & RENAME_NOREPLACE ? -EEXIST : -EPERM;
  }

  chmod(path: string, _mode: number): number {
    const found = this.#pathOnly(this.#walk(path, true, 0));
    return typeof found === "number" ? found : -EPERM;
  }

  chown(path: string, _uid: number, _gid: number, followSymlinks: boolean): number {
    const found = this.#pathOnly(this.#walk(path, followSymlinks, 0));
    return typeof found === "number" ? found : -EPERM;
  }

  utimens(path: string, _atime: FsTime, _mtime: FsTime, followSymlinks: boolean): number {
    const found = this.#pathOnly(this.#walk(path, followSymlinks, 0));
    return typeof found === "number" ? found : 0;
  }

  statfs(path: string): FsResult<FsStatFs> {
    const found = this.#walk(path, true, 0);
    if (typeof found === "number") return found;
    return { type: PROC_SUPER_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, namelen: NAME_MAX, frsize: 4096, flags: 0 };
  }

  setMountPoint(atRoot: boolean, covered: string): number {
    this.#atRoot = atRoot;
    this.#covered = new Set(covered.split("\0").filter((p) => p !== ""));
    return 0;
  }

  crossing(): FsResult<FsCrossing> {
    return this.#crossing ?? -EINVAL;
  }

  // ----- the walk ------------------------------------------------------------------------

  /**
   * The node `path` names (Linux: fs/namei.c link_path_walk), an FdJump when it ends by
   * following an fd/N link, or -errno; CROSS_MOUNT (with the crossing recorded for `arg`)
   * when it leaves procfs. A trailing "/", "/." or "/.." demands a directory and follows.
   */
  #walk(path: string, followLast: boolean, arg: number): ProcNode | FdJump | number {
    if (path === "") return -ENOENT;
    const names = path.split("/");
    const last = names[names.length - 1]!;
    const dirWanted = last === "" || last === "." || last === "..";
    const follow = followLast || dirWanted;
    const pending = names.filter((n) => n !== "" && n !== ".").reverse();
    const dirs: DirNode[] = [this.#root()];
    const leave = (to: string): number => {
      const rest = [...pending].reverse();
      this.#crossing = { arg, path: joinPath(to, rest, dirWanted) };
      return CROSS_MOUNT;
    };
    let links = 0;
    for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
      if (name === "..") {
        if (dirs.length > 1) dirs.pop();
        else if (!this.#atRoot) return leave("..");
        continue;
      }
      if (name.length > NAME_MAX) return -ENAMETOOLONG;
      const node = dirs[dirs.length - 1]!.child(name);
      if (node === undefined) return -ENOENT;
      const isLast = pending.length === 0;
      if (node.type === "link" && (!isLast || follow)) {
        if (++links > MAX_SYMLINKS) return -ELOOP;
        const target = node.target();
        if (typeof target === "number") return target;
        if (target.file) {
          if (isLast && !dirWanted) return { file: target.file };
          // Only a directory goes on, at its path ("pipe:[7]" and the like never are one);
          // the path alone could lead back here (/dev/stdin → /proc/self/fd/0).
          const st = target.file.ops.stat();
          if (typeof st === "number") return st;
          if ((st.mode & S_IFMT) !== S_IFDIR || !target.text.startsWith("/")) return -ENOTDIR;
        }
        if (target.text.startsWith("/")) return leave(target.text);
        pending.push(...target.text.split("/").filter((n) => n !== "" && n !== ".").reverse());
        continue;
      }
      if (node.type === "dir") {
        if (this.#covered.has(node.path)) return leave(node.path.slice(1));
        dirs.push(node);
        continue;
      }
      if (!isLast || dirWanted) return -ENOTDIR;
      return node;
    }
    return dirs[dirs.length - 1]!;
  }

  /** For calls that need a path, not an object: an fd/N jump goes on at the file's path. */
  #pathOnly(found: ProcNode | FdJump | number): ProcNode | number {
    if (typeof found === "number" || !("file" in found)) return found;
    const path = found.file.ops.path;
    if (!path.startsWith("/")) return -ENOENT;
    this.#crossing = { arg: 0, path };
    return CROSS_MOUNT;
  }

  /** mkdir, symlink, mknod, link's new name: nothing can be created here. */
  #create(path: string, arg: number): number {
    const found = this.#walk(path, false, arg);
    return typeof found === "number" ? found : -EEXIST;
  }

  // ----- the tree ------------------------------------------------------------------------

  #root(): DirNode {
    return {
      type: "dir", path: "/", perm: 0o555, owner: null,
      names: () => [...ROOT_ENTRIES, ...[...this.#facts.processes.keys()].sort((a, b) => a - b).map(String)],
      child: (name) => this.#rootEntry(name),
    };
  }

  #rootEntry(name: string): ProcNode | undefined {
    const f = this.#facts;
    const path = "/" + name;
    switch (name) {
      case "cmdline":
        // The command line of the kernel that booted: the LibOS's has no parameters.
        return globalFile(path, () => "libos\n");
      case "config.gz":
        return globalFile(path, kernelConfigGz);
      case "cpuinfo":
        return globalFile(path, () => cpuinfoText(this.#cpuMhz));
      case "filesystems":
        return globalFile(path, () => FILESYSTEM_TYPES.map((t) => `nodev\t${t}\n`).join(""));
      case "loadavg":
        return globalFile(path, () => loadavgText(f));
      case "meminfo":
        return globalFile(path, () => meminfoText(f.memoryQuota()));
      case "mounts":
        return link(path, null, 0, () => ({ text: "self/mounts", file: null }));
      case "self":
        return link(path, null, 0, () => {
          const t = f.current();
          return t ? { text: String(t.process.pid), file: null } : -ENOENT;
        });
      case "thread-self":
        return link(path, null, 0, () => {
          const t = f.current();
          return t ? { text: `${t.process.pid}/task/${t.tid}`, file: null } : -ENOENT;
        });
      case "stat":
        return globalFile(path, () => statText(f));
      case "sys":
        return this.#sysDir("");
      case "keys":
      case "key-users": {
        const text = f.files?.get(name);
        return text ? globalFile(path, () => text(f.current())) : undefined;
      }
      case "net": {
        const inet = f.net?.() ?? null;
        return dir("/net", null, () => (inet === null ? [] : [...PROC_NET_FILES]), (n) => {
          if (inet === null || !(PROC_NET_FILES as readonly string[]).includes(n)) return undefined;
          return globalFile(`/net/${n}`, () => procNetText(inet, n) ?? "");
        });
      }
      case "uptime":
        return globalFile(path, () => `${(uptimeMs(f) / 1000).toFixed(2)} 0.00\n`);
      case "version":
        return globalFile(path, () => `Linux version ${release()} (libos) ${version()}\n`);
    }
    if (!/^[1-9][0-9]*$/.test(name)) return undefined;
    const id = Number(name);
    const p = f.processes.get(id);
    if (p) return this.#taskDir({ p, t: leader(p), dir: path, isThread: false });
    // A thread that leads no process is found by its tid, though no listing shows it.
    for (const q of f.processes.values()) {
      const t = q.threads.get(id);
      if (t) return this.#taskDir({ p: q, t, dir: path, isThread: false });
    }
    return undefined;
  }

  /** /proc/sys/`prefix`: the directories and files procfs_sys.ts lists under it. */
  #sysDir(prefix: string): DirNode {
    const files = this.#sysctl;
    const names = (): string[] => {
      const seen = new Set<string>();
      for (const key of files.keys()) if (key.startsWith(prefix)) seen.add(key.slice(prefix.length).split("/")[0]!);
      return [...seen];
    };
    return dir(`/sys/${prefix}`.replace(/\/$/, ""), null, names, (n) => {
      const key = prefix + n;
      const entry = files.get(key);
      if (entry) return sysctlFile(`/sys/${key}`, entry);
      for (const other of files.keys()) if (other.startsWith(key + "/")) return this.#sysDir(key + "/");
      return undefined;
    });
  }

  #taskDir(view: TaskView): DirNode {
    return dir(view.dir, view.p, () => (view.isThread ? THREAD_ENTRIES : PID_ENTRIES), (n) => this.#taskEntry(view, n));
  }

  #taskEntry(view: TaskView, name: string): ProcNode | undefined {
    const { p } = view;
    const f = this.#facts;
    const path = `${view.dir}/${name}`;
    const file = (text: () => string, perm = 0o444): FileNode =>
      ({ type: "file", path, perm, owner: p, text, write: () => -EINVAL });
    const pathLink = (target: () => string): LinkNode =>
      link(path, p, 0, () => (p.alive ? { text: target(), file: null } : -ENOENT));
    switch (name) {
      case "task":
        if (view.isThread) return undefined;
        return dir(path, p, () => [...p.threads.keys()].sort((a, b) => a - b).map(String), (n) => {
          const t = /^[1-9][0-9]*$/.test(n) ? p.threads.get(Number(n)) : undefined;
          return t ? this.#taskDir({ p, t, dir: `${path}/${n}`, isThread: true }) : undefined;
        });
      case "fd":
        return { ...dir(path, p, () => (p.alive ? [...p.fds.entries()].map(([fd]) => String(fd)) : []), (n) => fdLink(p, path, n)), perm: 0o500 };
      case "fdinfo":
        return { ...dir(path, p, () => (p.alive ? [...p.fds.entries()].map(([fd]) => String(fd)) : []), (n) => fdInfo(p, path, n)), perm: 0o500 };
      case "environ":
        return file(() => (p.alive ? nulTerminated(p.envp) : ""), 0o400);
      case "status":
        return file(() => statusText(view, f));
      case "comm":
        return { ...file(() => threadName(view) + "\n", 0o644), write: (src) => this.#setComm(view, src) };
      case "cmdline":
        return file(() => (p.alive ? nulTerminated(p.argv) : ""));
      case "stat":
        return file(() => taskStatText(view, f));
      case "statm":
        return file(() => statmText(p));
      case "maps":
        return file(() => mapsText(p));
      case "cwd":
        return pathLink(() => p.cwd);
      case "root":
        return pathLink(() => p.fs.root);
      case "exe":
        return pathLink(() => p.exe);
      case "mounts":
        return file(() => mountsText(f.mounts()));
    }
    return undefined;
  }

  /** comm is writable by the process itself: the first 15 bytes up to a NUL name the thread. */
  #setComm(view: TaskView, src: Uint8Array): number {
    const caller = this.#facts.current();
    const t = view.t;
    if (!t || caller?.process !== view.p) return -EINVAL;
    const bytes = src.subarray(0, 15);
    const nul = bytes.indexOf(0);
    t.name = bytesToString(nul < 0 ? bytes : bytes.subarray(0, nul));
    return src.length;
  }

  #listing(node: DirNode): FsDirEntry[] {
    const parent = node.path === "/" ? PROC_ROOT_INO : inodeOf(node.path.slice(0, node.path.lastIndexOf("/")) || "/");
    const out: FsDirEntry[] = [
      { name: ".", ino: inodeOf(node.path), type: DT_DIR, nextCookie: 1 },
      { name: "..", ino: parent, type: DT_DIR, nextCookie: 2 },
    ];
    for (const name of node.names()) {
      const child = node.child(name);
      if (!child) continue;
      const type = child.type === "dir" ? DT_DIR : child.type === "link" ? DT_LNK : DT_REG;
      out.push({ name, ino: inodeOf(child.path), type, nextCookie: out.length + 1 });
    }
    return out;
  }

  #statOf(node: ProcNode): FsStat {
    const now = BigInt(Date.now()) * 1_000_000n;
    const creds = node.owner?.creds ?? { euid: 0, egid: 0 };
    let nlink = 1;
    let size = 0;
    if (node.type === "dir") {
      nlink = 2 + node.names().filter((n) => node.child(n)?.type === "dir").length;
      // Linux gives an fd directory the number of open descriptors as its size.
      if (node.path.endsWith("/fd")) size = node.names().length;
    } else if (node.type === "link") {
      size = node.size;
    }
    const type = node.type === "dir" ? S_IFDIR : node.type === "link" ? S_IFLNK : S_IFREG;
    return {
      dev: PROC_DEV, ino: inodeOf(node.path), mode: type | node.perm, nlink, uid: creds.euid, gid: creds.egid, rdev: 0,
      size, blksize: 1024, blocks: 0, atimeNs: now, mtimeNs: now, ctimeNs: now,
    };
  }
}

// ----- node builders ---------------------------------------------------------------------

function dir(path: string, owner: Process | null, names: () => string[], child: (name: string) => ProcNode | undefined): DirNode {
  return { type: "dir", path, perm: 0o555, owner, names, child };
}

function globalFile(path: string, text: () => string): FileNode {
  return { type: "file", path, perm: 0o444, owner: null, text, write: () => -EIO };
}

/** A sysctl: 0644 and written through its owner when it is a tunable (a write takes the whole value). */
function sysctlFile(path: string, s: Sysctl): FileNode {
  const write = s.write;
  if (!write) return globalFile(path, () => s.text());
  return { type: "file", path, perm: 0o644, owner: null, text: () => s.text(), write: (src) => write(bytesToString(src)) || src.length };
}

function link(path: string, owner: Process | null, size: number, target: () => LinkTarget | number): LinkNode {
  return { type: "link", path, perm: 0o777, owner, size, target };
}

/** /PID/fdinfo/N: the description's offset and flags, the inode, and what its kind adds (FileOps.fdinfo). */
function fdInfo(p: Process, dirPath: string, name: string): FileNode | undefined {
  if (!p.alive || !/^(0|[1-9][0-9]*)$/.test(name)) return undefined;
  const fd = Number(name);
  const file = p.fds.get(fd);
  if (!file) return undefined;
  const text = (): string => {
    const st = file.ops.stat();
    const ino = typeof st === "number" ? 0 : st.ino;
    const flags = file.flags | (p.fds.cloexec(fd) ? O_CLOEXEC : 0);
    return `pos:\t${file.offset}\nflags:\t0${flags.toString(8)}\nmnt_id:\t0\nino:\t${ino}\n${file.ops.fdinfo?.() ?? ""}`;
  };
  return { type: "file", path: `${dirPath}/${name}`, perm: 0o444, owner: p, text, write: () => -EINVAL };
}

/** /PID/fd/N: lr-x------ for reading, l-wx------ for writing, both for both (fs/proc/fd.c). */
function fdLink(p: Process, dirPath: string, name: string): LinkNode | undefined {
  if (!p.alive || !/^(0|[1-9][0-9]*)$/.test(name)) return undefined;
  const file = p.fds.get(Number(name));
  if (!file) return undefined;
  const access = file.flags & O_ACCMODE;
  const perm = (access !== O_WRONLY ? 0o500 : 0) | (access !== O_RDONLY ? 0o300 : 0);
  return { type: "link", path: `${dirPath}/${name}`, perm, owner: p, size: 64, target: () => ({ text: fdTargetText(file), file }) };
}

/** A descriptor's link text: its path, with " (deleted)" once a file has no name left (d_path). */
function fdTargetText(file: OpenFile): string {
  const path = file.ops.path;
  if (path.endsWith(" (deleted)") || !path.startsWith("/")) return path;
  const st = file.ops.stat();
  return typeof st !== "number" && st.nlink === 0 && (st.mode & S_IFMT) !== S_IFDIR ? `${path} (deleted)` : path;
}

// ----- the texts -------------------------------------------------------------------------

function cpuinfoText(mhz: number): string {
  const n = cpuCount();
  const one = (i: number): string => {
    const rows: [string, string][] = [
      ["processor", String(i)], ["vendor_id", "GenuineIntel"], ["cpu family", "6"], ["model", "60"],
      ["model name", "Intel Core Processor (Haswell)"], ["stepping", "4"], ["microcode", "0x1"],
      ["cpu MHz", mhz.toFixed(3)], ["physical id", "0"], ["siblings", String(n)], ["core id", String(i)], ["cpu cores", String(n)],
      ["apicid", String(i)], ["initial apicid", String(i)], ["fpu", "yes"], ["fpu_exception", "yes"], ["cpuid level", "13"],
      ["wp", "yes"], ["flags", CPU_FLAGS], ["bugs", ""], ["bogomips", (mhz * 2).toFixed(2)], ["clflush size", "64"],
      ["cache_alignment", "64"], ["address sizes", "40 bits physical, 48 bits virtual"],
    ];
    // Linux pads the names with tabs to the second tab stop.
    return rows.map(([k, v]) => `${k}${k.length < 8 ? "\t\t" : "\t"}: ${v}`.trimEnd()).join("\n") + "\npower management:\n\n";
  };
  return Array.from({ length: n }, (_, i) => one(i)).join("");
}

function meminfoText(q: { total: number; free: number }): string {
  const used = q.total - q.free;
  const kb: [string, number][] = [
    ["MemTotal", q.total], ["MemFree", q.free], ["MemAvailable", q.free], ["Buffers", 0], ["Cached", 0],
    ["SwapCached", 0], ["Active", used], ["Inactive", 0], ["Active(anon)", used], ["Inactive(anon)", 0],
    ["Active(file)", 0], ["Inactive(file)", 0], ["Unevictable", 0], ["Mlocked", 0], ["SwapTotal", 0],
    ["SwapFree", 0], ["Dirty", 0], ["Writeback", 0], ["AnonPages", used], ["Mapped", 0], ["Shmem", 0],
    ["KReclaimable", 0], ["Slab", 0], ["SReclaimable", 0], ["SUnreclaim", 0], ["KernelStack", 0],
    ["PageTables", 0], ["NFS_Unstable", 0], ["Bounce", 0], ["WritebackTmp", 0], ["CommitLimit", q.total],
    ["Committed_AS", used], ["VmallocTotal", 34359738367 * 1024], ["VmallocUsed", 0], ["VmallocChunk", 0],
    ["Percpu", 0], ["AnonHugePages", 0], ["ShmemHugePages", 0], ["ShmemPmdMapped", 0], ["FileHugePages", 0],
    ["FilePmdMapped", 0],
  ];
  const pages = ["HugePages_Total", "HugePages_Free", "HugePages_Rsvd", "HugePages_Surp"];
  // fs/proc/meminfo.c: the name and colon padded to 16 columns, the value to 8.
  const row = (name: string, value: number): string => `${(name + ":").padEnd(16)}${String(value).padStart(8)}`;
  return [
    ...kb.map(([name, bytes]) => row(name, Math.floor(bytes / 1024)) + " kB"),
    ...pages.map((name) => row(name, 0)),
    row("Hugepagesize", 2048) + " kB",
    row("Hugetlb", 0) + " kB",
  ].join("\n") + "\n";
}

/** "1min 5min 15min running/threads lastpid" (fs/proc/loadavg.c): the host's load, the user kernel's tasks. */
function loadavgText(f: ProcFacts): string {
  const { running, total, lastPid } = threadCounts(f);
  const load = hostLoad().map((x) => x.toFixed(2)).join(" ");
  return `${load} ${running}/${total} ${lastPid}\n`;
}

/** /proc/stat: the host's CPU times (user nice system idle iowait irq …, in USER_HZ); btime and the counts are the user kernel's. */
function statText(f: ProcFacts): string {
  const { running, lastPid } = threadCounts(f);
  const ticks = cpuTicks();
  const line = (name: string, c: { user: number; nice: number; sys: number; idle: number; irq: number }): string =>
    `${name} ${c.user} ${c.nice} ${c.sys} ${c.idle} 0 ${c.irq} 0 0 0 0\n`;
  const sum = ticks.reduce((a, c) => ({ user: a.user + c.user, nice: a.nice + c.nice, sys: a.sys + c.sys, idle: a.idle + c.idle, irq: a.irq + c.irq }), { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 });
  const btime = Math.floor((Date.now() - uptimeMs(f)) / 1000);
  return line("cpu ", sum) + ticks.map((c, i) => line(`cpu${i}`, c)).join("") + `intr 0\nctxt 0\nbtime ${btime}\nprocesses ${lastPid}\n` +
    `procs_running ${running}\nprocs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n`;
}

function mountsText(mounts: readonly ProcMount[]): string {
  return mounts.map((m) => `${escapeMount(m.source)} ${escapeMount(m.at)} ${escapeMount(m.type)} ${escapeMount(m.options)} 0 0\n`).join("");
}

/** The 52 fields of /proc/PID/stat (fs/proc/array.c do_task_stat); what is not kept is 0. */
function taskStatText(view: TaskView, f: ProcFacts): string {
  const { p, t } = view;
  const mem = p.alive ? memoryUse(p.memory.vmas) : null;
  const sig = signalMasks(p, t);
  const low31 = (s: Sigset): number => Number(s & 0x7fffffffn);
  const rssLimit = p.rlimits.get(RLIMIT_RSS)?.rlim_cur ?? RLIM_INFINITY;
  const fields: (number | string)[] = [
    t?.tid ?? p.pid, `(${threadName(view)})`, stateOf(p, t, f.current())[0], p.ppid, p.pgid, p.sid,
    p.ctty?.rdev ?? 0, p.ctty && p.ctty.sid !== NO_SESSION ? p.ctty.pgrp : -1, 0, // tty_nr, tpgid, flags
    0, 0, 0, 0, 0, 0, 0, 0, // faults, times
    20, 0, Math.max(1, p.threads.size), 0, // priority, nice, num_threads, itrealvalue
    Math.floor((p.startTimeMs - f.bootTimeMs) / (1000 / CLOCK_TICKS_PER_S)),
    mem?.size ?? 0, (mem?.size ?? 0) / PAGE, rssLimit >= RLIM_INFINITY ? "18446744073709551615" : rssLimit,
    mem?.codeStart ?? 0, mem?.codeEnd ?? 0, 0, 0, 0, // startstack, kstkesp, kstkeip
    low31(sig.pending), low31(sig.blocked), low31(sig.ignored), low31(sig.caught),
    0, 0, 0, p.exitSignal, 0, 0, 0, 0, 0, 0, // wchan … cguest_time
    mem?.dataStart ?? 0, mem?.dataEnd ?? 0, mem?.heapStart ?? 0, 0, 0, 0, 0, // data, brk, arg, env
    p.alive ? 0 : p.waitStatus,
  ];
  return fields.join(" ") + "\n";
}

/** /proc/PID/status (fs/proc/array.c proc_pid_status). */
function statusText(view: TaskView, f: ProcFacts): string {
  const { p, t } = view;
  const hex = (s: bigint): string => s.toString(16).padStart(16, "0");
  const kb = (bytes: number): string => `${String(Math.floor(bytes / 1024)).padStart(8)} kB`;
  const sig = signalMasks(p, t);
  const pid = t?.tid ?? p.pid;
  const c = t?.creds ?? p.creds;
  const lines = [
    `Name:\t${threadName(view)}`, `Umask:\t${p.umask.toString(8).padStart(4, "0")}`, `State:\t${stateOf(p, t, f.current())}`,
    `Tgid:\t${p.pid}`, "Ngid:\t0", `Pid:\t${pid}`, `PPid:\t${p.ppid}`, "TracerPid:\t0",
    `Uid:\t${c.uid}\t${c.euid}\t${c.suid}\t${c.fsuid}`, `Gid:\t${c.gid}\t${c.egid}\t${c.sgid}\t${c.fsgid}`,
    `FDSize:\t${fdTableSize(p)}`, `Groups:\t${c.groups.join(" ")} `, `NStgid:\t${p.pid}`, `NSpid:\t${pid}`, `NSpgid:\t${p.pgid}`, `NSsid:\t${p.sid}`, "Kthread:\t0",
  ];
  if (p.alive) {
    const mem = memoryUse(p.memory.vmas);
    // Every mapped page is charged to the quota, so all of it counts as resident; no peak is kept.
    lines.push(
      `VmPeak:\t${kb(mem.size)}`, `VmSize:\t${kb(mem.size)}`, `VmLck:\t${kb(0)}`, `VmPin:\t${kb(0)}`,
      `VmHWM:\t${kb(mem.size)}`, `VmRSS:\t${kb(mem.size)}`, `RssAnon:\t${kb(mem.size - mem.image - mem.shared)}`,
      `RssFile:\t${kb(mem.image)}`, `RssShmem:\t${kb(mem.shared)}`, `VmData:\t${kb(mem.data)}`, `VmStk:\t${kb(mem.stack)}`,
      `VmExe:\t${kb(mem.code)}`, `VmLib:\t${kb(0)}`, `VmPTE:\t${kb(0)}`, `VmSwap:\t${kb(0)}`, `HugetlbPages:\t${kb(0)}`,
    );
  }
  const queued = [p.pending.set, ...[...p.threads.values()].map((q) => q.pending.set)].reduce((n, s) => n + popcount(s), 0);
  const sigqLimit = p.rlimits.get(RLIMIT_SIGPENDING)?.rlim_cur ?? SIGQ_DEFAULT_LIMIT;
  lines.push(
    "CoreDumping:\t0", "THP_enabled:\t1", `Threads:\t${Math.max(1, p.threads.size)}`, `SigQ:\t${queued}/${sigqLimit}`,
    `SigPnd:\t${hex(t?.pending.set ?? 0n)}`, `ShdPnd:\t${hex(p.pending.set)}`, `SigBlk:\t${hex(sig.blocked)}`,
    `SigIgn:\t${hex(sig.ignored)}`, `SigCgt:\t${hex(sig.caught)}`, `CapInh:\t${hex(BigInt(c.capInheritable))}`,
    `CapPrm:\t${hex(BigInt(c.capPermitted))}`, `CapEff:\t${hex(BigInt(c.capEffective))}`, `CapBnd:\t${hex(BigInt(c.capBounding))}`,
    `CapAmb:\t${hex(BigInt(c.capAmbient))}`, "NoNewPrivs:\t0", "Seccomp:\t0",
    "Seccomp_filters:\t0", `Cpus_allowed:\t${cpuMaskHex()}`, `Cpus_allowed_list:\t${cpuList()}`, "Mems_allowed:\t1", "Mems_allowed_list:\t0",
    "voluntary_ctxt_switches:\t0", "nonvoluntary_ctxt_switches:\t0",
  );
  return lines.join("\n") + "\n";
}

/** "size resident shared text lib data dt" in pages (fs/proc/task_mmu.c task_statm). */
function statmText(p: Process): string {
  if (!p.alive) return "0 0 0 0 0 0 0\n";
  const m = memoryUse(p.memory.vmas);
  return [m.size, m.size, m.image + m.shared, m.code, 0, m.data, 0].map((b) => b / PAGE).join(" ") + "\n";
}

/**
 * /proc/PID/maps as fs/proc/task_mmu.c show_map_vma prints it, adjacent equal Vmas merged
 * as Linux merges them. No file is open behind a mapping, so dev and inode are 0; an
 * image's offset counts from its first page, as its ELF segments do.
 */
function mapsText(p: Process): string {
  if (!p.alive) return "";
  const vmas = p.memory.vmas;
  const imageStart = vmas.find((v) => v.kind === "image")?.start ?? 0;
  const interpStart = vmas.find((v) => v.kind === "interp")?.start ?? 0;
  const merged: Vma[] = [];
  for (const v of vmas) {
    const prev = merged[merged.length - 1];
    if (prev && prev.end === v.start && prev.prot === v.prot && prev.kind === v.kind && prev.shared === v.shared && prev.block.file?.path === v.block.file?.path) prev.end = v.end;
    else merged.push({ ...v });
  }
  let out = "";
  for (const v of merged) {
    const perms = (v.prot & PROT_READ ? "r" : "-") + (v.prot & PROT_WRITE ? "w" : "-") + (v.prot & PROT_EXEC ? "x" : "-") + (v.shared ? "s" : "p");
    const offset = v.kind === "image" ? v.start - imageStart : v.kind === "interp" ? v.start - interpStart : 0;
    const head = `${hex8(v.start)}-${hex8(v.end)} ${perms} ${hex8(offset)} 00:00 0 `;
    const name = v.kind === "image" ? p.exe : v.kind === "interp" ? p.interpreter ?? "" : v.kind === "brk" ? "[heap]" : v.kind === "stack" ? "[stack]" : v.block.file?.path ?? "";
    // The name starts at column 73 (seq_pad to 25 + 6 × sizeof(void *) − 1, then a space).
    out += (name ? `${head.padEnd(72)} ${name}` : head) + "\n";
  }
  return out;
}

/** The host CPU's clock from its /proc/cpuinfo (os.cpus() reads 0 where there is no cpufreq). */
function hostCpuMhz(): number {
  try {
    const m = /^cpu MHz\s*:\s*([0-9.]+)/m.exec(readFileSync("/proc/cpuinfo", "latin1"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

// ----- facts derived from the processes --------------------------------------------------

function uptimeMs(f: ProcFacts): number {
  return performance.now() - f.bootTimeMs;
}

function leader(p: Process): Thread | null {
  return p.threads.get(p.pid) ?? p.threads.values().next().value ?? null;
}

/** The thread's name; a zombie has lost its threads and keeps its executable's. */
function threadName(view: TaskView): string {
  return view.t?.name || view.p.exe.slice(view.p.exe.lastIndexOf("/") + 1).slice(0, 15);
}

/** Linux's state letter and word (fs/proc/array.c task_state_array). */
function stateOf(p: Process, t: Thread | null, caller: Thread | null): string {
  if (p.state === "zombie") return "Z (zombie)";
  if (p.stopped) return "T (stopped)";
  // init has no thread: it only waits for orphans.
  if (t === null) return "S (sleeping)";
  return t === caller || t.sleeper === null ? "R (running)" : "S (sleeping)";
}

function signalMasks(p: Process, t: Thread | null): { pending: Sigset; blocked: Sigset; ignored: Sigset; caught: Sigset } {
  let ignored = 0n;
  let caught = 0n;
  for (const [sig, action] of p.sigactions) {
    const bit = 1n << BigInt(sig - 1);
    if (action.sa_handler === SIG_IGN) ignored |= bit;
    else if (action.sa_handler !== SIG_DFL) caught |= bit;
  }
  return { pending: t?.pending.set ?? 0n, blocked: t?.sigmask ?? 0n, ignored, caught };
}

function threadCounts(f: ProcFacts): { running: number; total: number; lastPid: number } {
  const caller = f.current();
  let running = 0;
  let total = 0;
  let lastPid = 0;
  for (const p of f.processes.values()) {
    lastPid = Math.max(lastPid, p.pid);
    for (const t of p.threads.values()) {
      total++;
      lastPid = Math.max(lastPid, t.tid);
      if (!p.stopped && (t === caller || t.sleeper === null)) running++;
    }
  }
  return { running, total, lastPid };
}

/** Bytes of each kind of mapping, and where the code, data and heap lie. */
interface MemoryUse {
  size: number;
  image: number;
  code: number;
  data: number;
  stack: number;
  shared: number;
  codeStart: number;
  codeEnd: number;
  dataStart: number;
  dataEnd: number;
  heapStart: number;
}

function memoryUse(vmas: readonly Vma[]): MemoryUse {
  const m: MemoryUse = { size: 0, image: 0, code: 0, data: 0, stack: 0, shared: 0, codeStart: 0, codeEnd: 0, dataStart: 0, dataEnd: 0, heapStart: 0 };
  for (const v of vmas) {
    const len = v.end - v.start;
    m.size += len;
    if (v.shared) m.shared += len;
    if (v.kind === "stack") m.stack += len;
    // Linux's VmData: private writable memory that is not stack.
    else if (v.prot & PROT_WRITE && !v.shared) m.data += len;
    if (v.kind === "brk" && m.heapStart === 0) m.heapStart = v.start;
    if (v.kind === "interp") m.image += len;
    if (v.kind !== "image") continue;
    m.image += len;
    if (v.prot & PROT_EXEC) {
      m.code += len;
      if (m.codeStart === 0) m.codeStart = v.start;
      m.codeEnd = v.end;
    } else if (v.prot & PROT_WRITE) {
      if (m.dataStart === 0) m.dataStart = v.start;
      m.dataEnd = v.end;
    }
  }
  return m;
}

/** FDSize: the descriptor table's capacity, which Linux grows in powers of two from 64. */
function fdTableSize(p: Process): number {
  let highest = -1;
  if (p.alive) for (const [fd] of p.fds.entries()) highest = fd;
  let size = 64;
  while (size <= highest) size *= 2;
  return size;
}

// ----- formatting ------------------------------------------------------------------------

function nulTerminated(strings: readonly string[]): string {
  return strings.map((s) => s + "\0").join("");
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

function popcount(s: bigint): number {
  let n = 0;
  for (let x = s; x !== 0n; x &= x - 1n) n++;
  return n;
}

/** fs/proc_namespace.c mangle(): space, tab, newline and backslash as octal escapes. */
function escapeMount(s: string): string {
  return s.replace(/[ \t\n\\]/g, (c) => "\\" + c.charCodeAt(0).toString(8).padStart(3, "0"));
}

/** `to`, then the components still to walk, then "/" when the walk wants a directory. */
function joinPath(to: string, rest: readonly string[], dirWanted: boolean): string {
  let out = to;
  for (const name of rest) out += (out.endsWith("/") ? "" : "/") + name;
  return dirWanted && !out.endsWith("/") ? out + "/" : out;
}

/** A stable inode number per path (FNV-1a), clear of the root's 1. */
function inodeOf(path: string): number {
  if (path === "/") return PROC_ROOT_INO;
  let h = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) h = Math.imul(h ^ path.charCodeAt(i), 0x01000193) >>> 0;
  return h + 2;
}
