// Passive servers: TypeScript protection domains entered on a message, like
// seL4 Microkit's protected() and notified() entry points.
//
// Kernel.serve() attaches a PassiveServer to a native TCB and parks the TCB
// in Recv on its endpoint. When a message arrives, Tcb.wake() calls run(),
// which invokes the handler synchronously inside the sender's kernel call;
// an answer given there (Kernel.replyWith) completes the sender's Call in
// the same JS turn. After the handler returns the server takes the next
// queued sender, or parks again. A handler that makes a nested call which
// blocks leaves the server blocked; when that call finishes, onWake runs
// (to consume the answer) and serving resumes. While a handler runs the
// server counts as inside a kernel call, so nothing re-enters it; senders
// that arrive meanwhile queue on the endpoint as in plain seL4 IPC.
// The endpoint capability is looked up again before every receive, so
// revoking it stops the server.

import { Rights, hasRights } from "./rights.ts";
import { KernelError, userError } from "./errors.ts";
import type { Endpoint } from "./endpoint.ts";
import type { Reply } from "./reply.ts";
import type { Tcb, ThreadState } from "./tcb.ts";

export interface PassiveHandler {
  /** A message arrived; `reply` is set for a Call (answer now or later). */
  protected(server: Tcb, badge: number, reply: Reply | null): void;
  /** The server's bound notification was signalled with these bits. */
  notified?(server: Tcb, bits: number): void;
  /** Optional: a handler threw (the message is dropped); whoever started the server decides what follows. */
  failed?(err: unknown): void;
}

export class PassiveServer {
  readonly handler: PassiveHandler;
  readonly endpointCptr: number;

  constructor(handler: PassiveHandler, endpointCptr: number) {
    this.handler = handler;
    this.endpointCptr = endpointCptr;
  }

  /** Serves until the server blocks; `woke` is the state it left (null: starting). */
  run(tcb: Tcb, woke: ThreadState | null): void {
    if (woke === "BlockedOnRecv") {
      if (tcb.ipcError !== KernelError.Ok) {
        // Its endpoint was deleted under it: stop serving, tell the owner.
        tcb.passive = null;
        enter(tcb, this, ON_WAKE);
        return;
      }
      enter(tcb, this, DISPATCH);
    } else if (woke !== null) enter(tcb, this, ON_WAKE);

    while (tcb.state === "Running" && tcb.passive === this) {
      const root = tcb.cspaceRoot;
      const cap = root === null ? null : root.capAt(this.endpointCptr);
      if (cap === null || cap.object.kind !== "Endpoint" || !hasRights(cap.rights, Rights.Read)) {
        userError("Passive server: endpoint capability is gone");
        tcb.passive = null;
        return;
      }
      const ep = cap.object as Endpoint;
      if (ep.receive(tcb, hasRights(cap.rights, Rights.Grant), true) !== "completed") return;
      enter(tcb, this, DISPATCH);
    }
  }
}

const DISPATCH = 0;
const ON_WAKE = 1;

/** Runs handler code as if inside a kernel call on tcb. */
function enter(tcb: Tcb, server: PassiveServer, what: number): void {
  tcb.inSyscall = true;
  try {
    if (what === ON_WAKE) tcb.onWake?.(tcb);
    else if (tcb.fromNotification) server.handler.notified?.(tcb, tcb.badge);
    else server.handler.protected(tcb, tcb.badge, tcb.callerReply);
  } catch (err) {
    // A server is a protection domain: its bug must not take down the host process (and
    // every other server in it). The message is dropped, its caller stays blocked as on a
    // faulted seL4 server, and the server goes on serving unless its owner ends it
    // (failed). Servers catch their own errors; this is the last line.
    if (server.handler.failed) reportFailure(server.handler.failed, err);
    else {
      const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
      process.stderr.write(`microkernel: passive server handler threw (message dropped): ${detail}\n`);
    }
  } finally {
    tcb.inSyscall = false;
  }
}

function reportFailure(failed: (err: unknown) => void, err: unknown): void {
  try {
    failed(err);
  } catch (again) {
    process.stderr.write(`microkernel: passive server's failure handler threw: ${again instanceof Error ? again.message : String(again)}\n`);
  }
}
