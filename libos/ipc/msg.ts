// System V message queues (Linux: ipc/msg.c).
//
// A queue holds messages (a type > 0 and up to MSGMAX bytes) in the order sent, up to
// msg_qbytes bytes and as many messages. msgsnd waits while the message does not fit,
// msgrcv while no message matches (msgtyp 0: the first; > 0: the first of that type, or
// with MSG_EXCEPT of any other; < 0: the first of the lowest type ≤ |msgtyp|). Both sleep
// on the queue's wait queue and look again after every change: IPC_NOWAIT answers EAGAIN
// and ENOMSG instead, a signal EINTR (never restarted), IPC_RMID EIDRM.

import { E2BIG, EACCES, EFAULT, EIDRM, EINVAL, ENOMSG, ENOSYS, EPERM } from "../../linux-abi/errno.ts";
import {
  IPC_INFO, IPC_NOWAIT, IPC_RMID, IPC_SET, IPC_STAT, MSGMAX, MSGMNB, MSGMNI, MSGPOOL, MSGSEG, MSGSSZ, MSG_COPY, MSG_EXCEPT,
  MSG_INFO, MSG_NOERROR, MSG_STAT, MSG_STAT_ANY, SIZEOF_MSGINFO, SIZEOF_MSQID64_DS, decodeIpcPermSet, decodeMsqidQbytes,
  encodeMsginfo, encodeMsqidDs, type IpcPerm,
} from "../../linux-abi/ipc.ts";
import { CAP_SYS_RESOURCE } from "../../linux-abi/capability.ts";
import { capable } from "../capabilities.ts";
import { PROT_READ } from "../memory.ts";
import type { Thread } from "../process.ts";
import { getStruct, putStruct } from "../sys/_struct.ts";
import { AGAIN, WaitQueue } from "../wait_queue.ts";
import { IpcIds, READ, WOULD_BLOCK, WRITE, ipcGet, ipcSleep, mayControl, nowSeconds, permits, setPerm, type IpcObject } from "./ipc_ids.ts";

interface Message {
  type: number;
  text: Uint8Array;
}

class MsgQueue implements IpcObject {
  readonly messages: Message[] = [];
  bytes = 0;
  qbytes = MSGMNB;
  stime = 0;
  rtime = 0;
  lspid = 0;
  lrpid = 0;
  ctime = nowSeconds();
  removed = false;
  readonly changed = new WaitQueue();

  constructor(
    readonly id: number,
    readonly perm: IpcPerm,
  ) {}

  fits(size: number): boolean {
    return this.bytes + size <= this.qbytes && this.messages.length + 1 <= this.qbytes;
  }

  /** The index of the message msgrcv takes, or -1. */
  match(type: number, except: boolean): number {
    if (type === 0) return this.messages.length > 0 ? 0 : -1;
    if (type > 0) return this.messages.findIndex((m) => (except ? m.type !== type : m.type === type));
    let best = -1;
    this.messages.forEach((m, i) => {
      if (m.type <= -type && (best < 0 || m.type < this.messages[best]!.type)) best = i;
    });
    return best;
  }
}

export class MessageQueues {
  readonly #ids = new IpcIds<MsgQueue>(MSGMNI);

  /** msgget(2). */
  get(t: Thread, key: number, flags: number): number {
    return ipcGet(this.#ids, key, flags, t.creds, (id, perm) => new MsgQueue(id, perm), () => 0, () => 0);
  }

  /** msgsnd(2): `addr` holds a long mtype, then the text. */
  send(t: Thread, id: number, addr: number, size: number, flags: number): number | Promise<number> {
    const mem = t.process.memory;
    // The type is read before anything is checked (ksys_msgsnd).
    const type = mem.view(addr, 8, PROT_READ);
    if (!type) return -EFAULT;
    if (size > MSGMAX || size < 0 || id < 0) return -EINVAL;
    const mtype = new DataView(type.buffer, type.byteOffset, 8).getBigInt64(0, true);
    if (mtype < 1n) return -EINVAL;
    const text = mem.view(addr + 8, size, PROT_READ)?.slice();
    if (!text) return -EFAULT;
    const q = this.#ids.lookup(id);
    if (!q) return -EINVAL;
    return ipcSleep(t, q.changed, () => {
      if (!permits(q.perm, t.creds, WRITE)) return -EACCES;
      if (q.removed) return -EIDRM;
      if (!q.fits(size)) return flags & IPC_NOWAIT ? WOULD_BLOCK : AGAIN;
      q.messages.push({ type: Number(mtype), text });
      q.bytes += size;
      q.stime = nowSeconds();
      q.lspid = t.process.pid;
      q.changed.notify();
      return 0;
    });
  }

  /** msgrcv(2): the text's length copied to `addr` + 8, after the mtype. */
  receive(t: Thread, id: number, addr: number, size: number, type: number, flags: number): number | Promise<number> {
    if (id < 0 || size < 0) return -EINVAL;
    if (flags & MSG_COPY) return -ENOSYS;
    const q = this.#ids.lookup(id);
    if (!q) return -EINVAL;
    const mem = t.process.memory;
    return ipcSleep(t, q.changed, () => {
      if (!permits(q.perm, t.creds, READ)) return -EACCES;
      if (q.removed) return -EIDRM;
      const i = q.match(type, (flags & MSG_EXCEPT) !== 0);
      if (i < 0) return flags & IPC_NOWAIT ? -ENOMSG : AGAIN;
      const m = q.messages[i]!;
      if (m.text.length > size && !(flags & MSG_NOERROR)) return -E2BIG;
      q.messages.splice(i, 1);
      q.bytes -= m.text.length;
      q.rtime = nowSeconds();
      q.lrpid = t.process.pid;
      q.changed.notify();
      const n = Math.min(size, m.text.length);
      const out = new Uint8Array(8 + n);
      new DataView(out.buffer).setBigInt64(0, BigInt(m.type), true);
      out.set(m.text.subarray(0, n), 8);
      // As Linux: the message has left the queue even when the copy faults.
      return mem.write(addr, out) ? n : -EFAULT;
    });
  }

  /** msgctl(2). */
  ctl(t: Thread, id: number, cmd: number, buf: number): number {
    const mem = t.process.memory;
    switch (cmd) {
      case IPC_INFO:
      case MSG_INFO: {
        let messages = 0, bytes = 0;
        for (const q of this.#ids.values()) {
          messages += q.messages.length;
          bytes += q.bytes;
        }
        const info = cmd === MSG_INFO
          ? { msgpool: this.#ids.inUse, msgmap: messages, msgtql: bytes }
          : { msgpool: MSGPOOL, msgmap: MSGMNB, msgtql: MSGMNB };
        const full = { ...info, msgmax: MSGMAX, msgmnb: MSGMNB, msgmni: MSGMNI, msgssz: MSGSSZ, msgseg: MSGSEG };
        return putStruct(mem, buf, SIZEOF_MSGINFO, encodeMsginfo, full) ? Math.max(0, this.#ids.maxIndex()) : -EFAULT;
      }
      case IPC_STAT:
      case MSG_STAT:
      case MSG_STAT_ANY: {
        const q = cmd === IPC_STAT ? this.#ids.lookup(id) : this.#ids.atIndex(id);
        if (!q) return -EINVAL;
        if (cmd !== MSG_STAT_ANY && !permits(q.perm, t.creds, READ)) return -EACCES;
        const ds = {
          perm: q.perm, stime: q.stime, rtime: q.rtime, ctime: q.ctime, cbytes: q.bytes, qnum: q.messages.length,
          qbytes: q.qbytes, lspid: q.lspid, lrpid: q.lrpid,
        };
        if (!putStruct(mem, buf, SIZEOF_MSQID64_DS, encodeMsqidDs, ds)) return -EFAULT;
        return cmd === IPC_STAT ? 0 : q.id;
      }
      case IPC_SET:
      case IPC_RMID: {
        const next = cmd === IPC_SET ? getStruct(mem, buf, SIZEOF_MSQID64_DS, (v, o) => ({ ...decodeIpcPermSet(v, o), qbytes: decodeMsqidQbytes(v, o) })) : null;
        if (cmd === IPC_SET && !next) return -EFAULT;
        const q = this.#ids.lookup(id);
        if (!q) return -EINVAL;
        const denied = mayControl(q.perm, t.creds);
        if (denied < 0) return denied;
        if (next) {
          if (next.qbytes > MSGMNB && !capable(t.creds, CAP_SYS_RESOURCE)) return -EPERM;
          q.qbytes = next.qbytes;
          setPerm(q, next);
        } else {
          q.removed = true;
          this.#ids.remove(q);
        }
        q.changed.notify();
        return 0;
      }
      default:
        return -EINVAL;
    }
  }
}
