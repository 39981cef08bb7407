// POSIX message queues (Linux: ipc/mqueue.c): one namespace per user kernel, as an IPC
// namespace's mqueue file system.
//
//   MqNamespace    queues by name, the /proc/sys/fs/mqueue limits, the count of queues
//                  (queues_max: unlinked queues still open count) and each real uid's
//                  RLIMIT_MSGQUEUE charge: mq_maxmsg × (mq_msgsize + the kernel's per-message
//                  overhead), taken when the queue is made and given back when the last
//                  descriptor of an unlinked queue closes
//   MessageQueue   the messages, highest priority first and in order within a priority;
//                  its wait queue wakes senders (room), receivers and pollers (a message);
//                  the one registered notification (mq_notify), which fires when a message
//                  arrives on an empty queue that no receiver waits on, then is gone
//   MqFile         a descriptor of a queue (always close-on-exec): read gives the QSIZE line,
//                  poll POLLIN with a message and POLLOUT with room; the last close of the
//                  description that registered a notification removes it (Linux removes it
//                  at any close by the registering process)
//
// Bounds: messages are the kernel-task's memory, so beside the per-user rlimit a
// namespace holds at most 64 MiB of message bytes (a send past it is ENOMEM, as a failed
// allocation) and 4096 queues whatever root sets.

import type { FsDirPage, FsStat } from "../fs-task/file_system.ts";
import { EACCES, EINVAL, EMFILE, ENAMETOOLONG, ENOMEM, ENOSPC, ENOTDIR, ENOTTY, EEXIST, ENOENT } from "../linux-abi/errno.ts";
import {
  DFLT_MSGMAX, DFLT_MSGSIZEMAX, DFLT_QUEUESMAX, HARD_MSGMAX, HARD_MSGSIZEMAX, MIN_MSGMAX, MIN_MSGSIZEMAX,
  MQ_MSG_OVERHEAD, MQ_NODE_OVERHEAD, MQ_PRIO_MAX,
} from "../linux-abi/mqueue.ts";
import { O_ACCMODE, O_CREAT, O_EXCL, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY } from "../linux-abi/fcntl.ts";
import { POLLIN, POLLOUT } from "../linux-abi/poll.ts";
import { SIGEV_SIGNAL, SI_MESGQ } from "../linux-abi/siginfo.ts";
import { S_IFREG } from "../linux-abi/stat.ts";
import { CAP_FOWNER, CAP_SYS_RESOURCE } from "../linux-abi/capability.ts";
import { stringToBytes } from "../linux-abi/_byte_string.ts";
import { capable } from "./capabilities.ts";
import type { Credentials } from "./creds.ts";
import { OpenFile, type FileOps, type IoResult } from "./file.ts";
import { MAY_READ, MAY_WRITE, permission } from "./permission.ts";
import type { Process, Thread } from "./process.ts";
import { intSysctl, type Sysctl } from "./procfs_sys.ts";
import { WaitQueue } from "./wait_queue.ts";
import type { Siginfo } from "../linux-abi/siginfo.ts";

/** /proc/sys/fs/mqueue. */
export interface MqLimits {
  queuesMax: number;
  msgMax: number;
  msgsizeMax: number;
  msgDefault: number;
  msgsizeDefault: number;
}

interface Message {
  readonly prio: number;
  readonly data: Uint8Array;
}

/** A registered notification (mq_notify): who, how, and through which description. */
export interface MqNotification {
  readonly owner: Process;
  readonly notify: number;
  readonly signo: number;
  readonly value: bigint;
  readonly via: MqFile;
}

const NAME_MAX = 255;
const NAMESPACE_MAX_BYTES = 64 << 20;
const NAMESPACE_MAX_QUEUES = 4096;
const MQUEUE_DEV = 0x13;
/** The size a queue's inode reports (FILENT_SIZE). */
const FILENT_SIZE = 80;

export class MessageQueue {
  readonly messages: Message[] = [];
  /** Bytes of message text queued (QSIZE). */
  qsize = 0;
  readonly readiness = new WaitQueue();
  notification: MqNotification | null = null;
  /** Receivers asleep on an empty queue: a message for them notifies nobody. */
  receiversWaiting = 0;
  /** Open descriptions; an unlinked queue goes with the last. */
  opens = 0;
  unlinked = false;
  readonly timeNs = BigInt(Date.now()) * 1_000_000n;

  constructor(
    readonly name: string,
    readonly ino: number,
    readonly owner: { uid: number; gid: number; mode: number },
    readonly maxmsg: number,
    readonly msgsize: number,
    /** The uid whose RLIMIT_MSGQUEUE pays, and how much. */
    readonly charge: { uid: number; bytes: number },
  ) {}

  get full(): boolean {
    return this.messages.length >= this.maxmsg;
  }

  /** msg_insert: after the last message of a priority at least as high. */
  insert(m: Message): void {
    let i = this.messages.length;
    while (i > 0 && this.messages[i - 1]!.prio < m.prio) i--;
    this.messages.splice(i, 0, m);
    this.qsize += m.data.length;
  }

  take(): Message | undefined {
    const m = this.messages.shift();
    if (m) this.qsize -= m.data.length;
    return m;
  }
}

/** The queue's RLIMIT_MSGQUEUE charge (mqueue_get_inode): slots, their overhead and the tree's nodes. */
export const chargeOf = (maxmsg: number, msgsize: number): number =>
  maxmsg * msgsize + maxmsg * MQ_MSG_OVERHEAD + Math.min(maxmsg, MQ_PRIO_MAX) * MQ_NODE_OVERHEAD;

export class MqNamespace {
  readonly limits: MqLimits = { queuesMax: DFLT_QUEUESMAX, msgMax: DFLT_MSGMAX, msgsizeMax: DFLT_MSGSIZEMAX, msgDefault: DFLT_MSGMAX, msgsizeDefault: DFLT_MSGSIZEMAX };
  readonly #queues = new Map<string, MessageQueue>();
  readonly #charged = new Map<number, number>();
  #count = 0;
  #bytes = 0;
  #nextIno = 1;

  /** lookup_one_len's answer for a queue name: EACCES for "", ".", ".." or a "/", ENAMETOOLONG past NAME_MAX. */
  static checkName(name: string): number {
    if (name === "" || name === "." || name === ".." || name.includes("/")) return -EACCES;
    return name.length > NAME_MAX ? -ENAMETOOLONG : 0;
  }

  /**
   * mq_open after the name and descriptor checks: the queue, made when missing with
   * O_CREAT (attr null: the defaults), as an open description, or -errno.
   */
  open(t: Thread, name: string, oflag: number, mode: number, attr: { maxmsg: number; msgsize: number } | null, rlimit: number): OpenFile | number {
    const c = t.creds;
    let q = this.#queues.get(name);
    if (!q) {
      if (!(oflag & O_CREAT)) return -ENOENT;
      const made = this.#create(c, name, mode & ~t.process.umask & 0o7777, attr, rlimit);
      if (typeof made === "number") return made;
      q = made;
    } else {
      if ((oflag & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL)) return -EEXIST;
      const acc = oflag & O_ACCMODE;
      if (acc === (O_RDWR | O_WRONLY)) return -EINVAL;
      const mask = acc === O_RDONLY ? MAY_READ : acc === O_WRONLY ? MAY_WRITE : MAY_READ | MAY_WRITE;
      const denied = permission(c, { mode: S_IFREG | q.owner.mode, uid: q.owner.uid, gid: q.owner.gid }, mask);
      if (denied < 0) return denied;
    }
    q.opens++;
    return new OpenFile(new MqFile(q, this), (oflag & O_ACCMODE) | (oflag & O_NONBLOCK));
  }

  #create(c: Credentials, name: string, mode: number, attr: { maxmsg: number; msgsize: number } | null, rlimit: number): MessageQueue | number {
    const l = this.limits;
    const a = attr ?? { maxmsg: Math.min(l.msgMax, l.msgDefault), msgsize: Math.min(l.msgsizeMax, l.msgsizeDefault) };
    const privileged = capable(c, CAP_SYS_RESOURCE);
    if (a.maxmsg <= 0 || a.msgsize <= 0) return -EINVAL;
    if (privileged ? a.maxmsg > HARD_MSGMAX || a.msgsize > HARD_MSGSIZEMAX : a.maxmsg > l.msgMax || a.msgsize > l.msgsizeMax) return -EINVAL;
    if ((this.#count >= l.queuesMax && !privileged) || this.#count >= NAMESPACE_MAX_QUEUES) return -ENOSPC;
    const bytes = chargeOf(a.maxmsg, a.msgsize);
    const used = this.#charged.get(c.uid) ?? 0;
    if (used + bytes > rlimit) return -EMFILE;
    this.#charged.set(c.uid, used + bytes);
    this.#count++;
    const q = new MessageQueue(name, this.#nextIno++, { uid: c.fsuid, gid: c.fsgid, mode }, a.maxmsg, a.msgsize, { uid: c.uid, bytes });
    this.#queues.set(name, q);
    return q;
  }

  /** mq_unlink: the owner of the queue (or CAP_FOWNER, through permission's rules) removes the name. */
  unlink(c: Credentials, name: string): number {
    const q = this.#queues.get(name);
    if (!q) return -ENOENT;
    // The mqueue root is root's sticky directory: the queue's owner, root, or CAP_FOWNER.
    if (q.owner.uid !== c.fsuid && c.fsuid !== 0 && !capable(c, CAP_FOWNER)) return -EACCES;
    this.#queues.delete(name);
    q.unlinked = true;
    if (q.opens === 0) this.#destroy(q);
    return 0;
  }

  /** A description of `q` is gone. */
  closed(q: MessageQueue): void {
    if (--q.opens === 0 && q.unlinked) this.#destroy(q);
  }

  #destroy(q: MessageQueue): void {
    this.#count--;
    this.#bytes -= q.qsize;
    q.messages.length = 0;
    q.qsize = 0;
    const left = (this.#charged.get(q.charge.uid) ?? 0) - q.charge.bytes;
    if (left > 0) this.#charged.set(q.charge.uid, left);
    else this.#charged.delete(q.charge.uid);
  }

  /** Room in the namespace's bound for `n` more bytes of messages (ENOMEM past it). */
  reserve(n: number): number {
    if (this.#bytes + n > NAMESPACE_MAX_BYTES) return -ENOMEM;
    this.#bytes += n;
    return 0;
  }

  release(n: number): void {
    this.#bytes -= n;
  }

  /** /proc/sys/fs/mqueue. */
  sysctls(): Sysctl[] {
    const l = this.limits;
    return [
      intSysctl("fs/mqueue/queues_max", () => l.queuesMax, (n) => (l.queuesMax = n)),
      intSysctl("fs/mqueue/msg_max", () => l.msgMax, (n) => (l.msgMax = n), MIN_MSGMAX, HARD_MSGMAX),
      intSysctl("fs/mqueue/msgsize_max", () => l.msgsizeMax, (n) => (l.msgsizeMax = n), MIN_MSGSIZEMAX, HARD_MSGSIZEMAX),
      intSysctl("fs/mqueue/msg_default", () => l.msgDefault, (n) => (l.msgDefault = n), MIN_MSGMAX, HARD_MSGMAX),
      intSysctl("fs/mqueue/msgsize_default", () => l.msgsizeDefault, (n) => (l.msgsizeDefault = n), MIN_MSGSIZEMAX, HARD_MSGSIZEMAX),
    ];
  }
}

/**
 * __do_notify after a send made `q` non-empty: the registered process gets its signal
 * (SI_MESGQ, from the sender) unless a receiver takes the message; either way the
 * registration is used up.
 */
export function notifyArrival(q: MessageQueue, sender: Thread, send: (p: Process, info: Siginfo) => void): void {
  const n = q.notification;
  if (!n || q.messages.length !== 1 || q.receiversWaiting > 0) return;
  q.notification = null;
  if (n.notify !== SIGEV_SIGNAL || n.signo === 0 || !n.owner.alive) return;
  send(n.owner, { layout: "rt", si_signo: n.signo, si_errno: 0, si_code: SI_MESGQ, si_pid: sender.process.pid, si_uid: sender.creds.uid, si_value: n.value });
}

/** A descriptor's view of a queue (Linux's mqueue_file_operations). */
export class MqFile implements FileOps {
  readonly seekable = true;
  readonly path: string;

  constructor(
    readonly queue: MessageQueue,
    readonly ns: MqNamespace,
  ) {
    this.path = `/${queue.name}`;
  }

  get readiness(): WaitQueue {
    return this.queue.readiness;
  }

  /** mqueue_read_file: the queue's state as one line, read at `offset`. */
  read(dst: Uint8Array, offset: number): IoResult {
    const q = this.queue;
    const n = q.notification;
    const text = `QSIZE:${String(q.qsize).padEnd(10)} NOTIFY:${String(n ? n.notify : 0).padEnd(5)} SIGNO:${String(n && n.notify === SIGEV_SIGNAL ? n.signo : 0).padEnd(5)} NOTIFY_PID:${String(n ? n.owner.pid : 0).padEnd(6)}\n`;
    const bytes = stringToBytes(text);
    if (offset >= bytes.length) return 0;
    const part = bytes.subarray(offset, offset + dst.length);
    dst.set(part);
    return part.length;
  }

  write(): IoResult {
    return -EINVAL;
  }

  stat(): FsStat {
    const q = this.queue;
    const t = q.timeNs;
    return {
      dev: MQUEUE_DEV, ino: q.ino, mode: S_IFREG | q.owner.mode, nlink: q.unlinked ? 0 : 1, uid: q.owner.uid, gid: q.owner.gid, rdev: 0,
      size: FILENT_SIZE, blksize: 4096, blocks: 0, atimeNs: t, mtimeNs: t, ctimeNs: t,
    };
  }

  readdir(): FsDirPage | number {
    return -ENOTDIR;
  }

  truncate(): number {
    return -EINVAL;
  }

  ioctl(): number {
    return -ENOTTY;
  }

  poll(): number {
    const q = this.queue;
    return (q.messages.length > 0 ? POLLIN : 0) | (q.full ? 0 : POLLOUT);
  }

  release(): void {
    const q = this.queue;
    if (q.notification?.via === this) q.notification = null;
    this.ns.closed(q);
  }
}
