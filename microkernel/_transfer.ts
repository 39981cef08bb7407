// Copying a message from one thread to another (seL4 doIPCTransfer,
// doNormalTransfer and transferCaps in kernel/thread.c and endpoint.c).
//
// Words are copied buffer to buffer; capabilities travel only when the
// sender's capability had Grant. Each extra cap is either "unwrapped" (a cap
// to the very endpoint the message goes through: only its badge is passed)
// or derived into the receiver's single receive slot, as in seL4. A lookup
// failure or a missing/occupied receive slot stops the transfer there. The kernel's IPC
// tap (ipc_tap.ts) hears of every message copied here.

import { deriveError } from "./capability.ts";
import { copyInto, type CNode } from "./cnode.ts";
import { KernelError } from "./errors.ts";
import type { KernelObject } from "./object.ts";
import type { Tcb } from "./tcb.ts";

export function transferMessage(
  sender: Tcb,
  label: number,
  length: number,
  extraCaps: number,
  receiver: Tcb,
  badge: number,
  canGrant: boolean,
  endpoint: KernelObject | null,
): void {
  const src = sender.buffer;
  const dst = receiver.buffer;
  for (let i = 0, n = length * 2; i < n; i++) dst[i] = src[i];
  receiver.info.set(label, length, 0, 0);
  if (extraCaps > 0 && canGrant) transferCaps(sender, extraCaps, receiver, endpoint);
  receiver.badge = badge;
  receiver.fromNotification = false;
  receiver.ipcError = KernelError.Ok;
  const observer = receiver.tap.observer;
  if (observer !== null) observer.message(sender, receiver, label, length, receiver.info.extraCaps, endpoint);
}

function transferCaps(sender: Tcb, count: number, receiver: Tcb, endpoint: KernelObject | null): void {
  const info = receiver.info;
  const senderRoot = sender.cspaceRoot;
  let dest = receiveCNode(receiver);
  for (let i = 0; i < count; i++) {
    const cap = senderRoot === null ? null : senderRoot.capAt(sender.capsOut[i]);
    if (cap === null) break;
    if (cap.object === endpoint) {
      receiver.unwrappedBadges[i] = cap.badge;
      info.capsUnwrapped |= 1 << i;
    } else {
      if (dest === null || deriveError(cap) !== KernelError.Ok) break;
      copyInto(dest, receiver.receiveIndex, cap, cap.rights, cap.badge);
      dest = null;
    }
    info.extraCaps = i + 1;
  }
}

/** The receiver's receive CNode when its receive slot is valid and empty. */
function receiveCNode(receiver: Tcb): CNode | null {
  const root = receiver.cspaceRoot;
  const cap = root === null ? null : root.capAt(receiver.receiveCnodeCptr);
  if (cap === null || cap.object.kind !== "CNode") return null;
  const cnode = cap.object as CNode;
  const index = receiver.receiveIndex;
  return cnode.isValidIndex(index) && cnode.capAt(index) === null ? cnode : null;
}
