// The robust futex list a thread leaves behind (Linux: kernel/futex/core.c,
// exit_robust_list and handle_futex_death).
//
// set_robust_list registers struct robust_list_head { next; futex_offset;
// list_op_pending }: a list of the locks the thread holds, each entry `futex_offset`
// bytes from its futex word (bit 0 of a pointer marks a PI futex). When the thread ends
// (exit, a fatal signal, exec) every word still holding its TID gets FUTEX_OWNER_DIED and
// loses the TID, and one waiter of a non-PI lock is woken, so the next owner sees
// EOWNERDEAD. The walk stops after ROBUST_LIST_LIMIT entries (a list that loops).

import { FUTEX_BITSET_MATCH_ANY, FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS } from "../linux-abi/futex.ts";
import type { Futexes } from "./futex.ts";
import type { GuestMemory } from "./memory.ts";
import type { Thread } from "./process.ts";

const ROBUST_LIST_LIMIT = 2048;

/** Walk `t`'s robust list in `mem` (its address space, still mapped). */
export function exitRobustList(t: Thread, mem: GuestMemory, futexes: Futexes): void {
  const head = t.robustList;
  if (head === 0) return;
  t.robustList = 0;
  const entry0 = mem.u64(head), offLo = mem.u32(head + 8), offHi = mem.u32(head + 12), pendingRaw = mem.u64(head + 16);
  if (entry0 === null || offLo === null || offHi === null || pendingRaw === null) return;
  // futex_offset is a signed long (musl's is negative): read its halves so it stays exact.
  const off = (offHi | 0) * 4294967296 + offLo;
  const pending = pendingRaw - (pendingRaw % 2);
  let raw = entry0;
  for (let limit = ROBUST_LIST_LIMIT; limit > 0; limit--) {
    const entry = raw - (raw % 2);
    if (entry === head) break;
    const next = mem.u64(entry);
    if (entry !== pending) handleDeath(t, mem, futexes, entry + off, raw % 2 === 1, false);
    // An unreadable next pointer ends the walk, the pending lock included, as in Linux.
    if (next === null) return;
    raw = next;
  }
  if (pending !== 0) handleDeath(t, mem, futexes, pending + off, pendingRaw % 2 === 1, true);
}

/** handle_futex_death: the word at `addr` of a lock `t` held, or was taking (`pendingOp`). */
function handleDeath(t: Thread, mem: GuestMemory, futexes: Futexes, addr: number, pi: boolean, pendingOp: boolean): void {
  if (addr % 4 !== 0) return;
  const word = mem.u32(addr);
  if (word === null) return;
  // A lock the thread was about to take and nobody holds: a waiter may be waiting for it.
  if (pendingOp && !pi && word === 0) {
    futexes.wake(mem, addr, 1, FUTEX_BITSET_MATCH_ANY);
    return;
  }
  if ((word & FUTEX_TID_MASK) !== t.tid) return;
  const next = ((word & FUTEX_WAITERS) | FUTEX_OWNER_DIED) >>> 0;
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, next, true);
  if (!mem.write(addr, b)) return;
  if (!pi && word & FUTEX_WAITERS) futexes.wake(mem, addr, 1, FUTEX_BITSET_MATCH_ANY);
}
