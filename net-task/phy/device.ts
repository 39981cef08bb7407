// What the interface needs of a network device: its medium, its MTU, a receive queue it
// drains and a transmit function. Devices never read a clock of their own; `now` (ms) is
// passed in so that wrappers (fault injection, tracing) stay deterministic in tests.

/** "ethernet": frames carry an Ethernet II header and need ARP; "ip": bare IPv4 packets. */
export type Medium = "ethernet" | "ip";

export interface Device {
  readonly medium: Medium;
  /** The largest IP packet it carries (Linux's MTU: 1500 on Ethernet, 65536 on lo). */
  readonly mtu: number;
  /** The next received frame, or null when none is waiting. The caller owns it after. */
  receive(now: number): Uint8Array | null;
  /** Hands a frame over (the device owns it after); false when the device dropped it (queue full). */
  transmit(now: number, frame: Uint8Array): boolean;
  /**
   * Devices fed from outside the stack's own calls (host sockets, a TAP fd, a link to another
   * thread) call `waker` when a frame becomes receivable, so that the task driving the
   * interface polls again instead of polling on a timer. Purely in-memory devices need not.
   */
  setWaker?(waker: (() => void) | null): void;
  /**
   * When a frame the device holds back (a delay line) becomes receivable (ms), Infinity for
   * none; the interface polls again then. Devices that hold nothing back need not have it.
   */
  pollAt?(): number;
  /**
   * Frames never leave this host's memory (loopback): TCP and UDP checksums need not be
   * computed nor checked, as Linux offloads them on lo. A wrapper that may damage frames
   * (the fault injector) does not pass this on.
   */
  readonly checksumOffload?: boolean;
}
