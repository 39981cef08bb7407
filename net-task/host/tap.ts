// A TAP device (`--net tap:IFNAME`): Ethernet frames to and from a Linux network interface
// through /dev/net/tun (TUNSETIFF with IFF_TAP | IFF_NO_PI), so Linux's own stack is this
// stack's peer. Opening it needs CAP_NET_ADMIN, or a persistent TAP the user owns.
//
//   receive   the descriptor is non-blocking; a poll(2) on a pool thread says when it is
//             readable, then frames are read on the event loop in a batch until EAGAIN (a
//             wake costs one pool round trip per batch, not per frame). When the receive
//             queue is full, reading stops (the kernel queues, then drops) until the stack
//             drains it.
//   transmit  one write(2) per frame; EAGAIN (the kernel's queue is full) refuses it, so the
//             sender keeps its data and retries.
//   close     a pipe ends a poll in progress; the descriptors close once it has returned,
//             and close()'s promise resolves then (a thread must not end with the poll's
//             callback still due: koffi would run it in a torn-down environment).
//   errors    a read failing other than with EAGAIN (the interface was deleted) ends
//             reception, counted in stats.rxErrors.

import { ipv4, parseIpv4, type Ipv4Address, type MacAddress } from "../wire/address.ts";
import { type Device } from "../phy/device.ts";
import { FrameQueue } from "../phy/frame_queue.ts";
import { cryptoU32 } from "../phy/prng.ts";
import {
  AF_INET, EAGAIN, EINTR, IFF_NO_PI, IFF_TAP, IFNAMSIZ, IFREQ_SIZE, O_CLOEXEC, O_NONBLOCK, O_RDWR, POLLIN, SIOCGIFMTU,
  SOCK_DGRAM, TUNSETIFF, tapLibc, type TapLibc,
} from "./_tap_libc.ts";
import { type GuestNetConfig } from "./gateway.ts";

export interface TapOptions {
  /** The host interface's name (created when missing and allowed). */
  name: string;
  /** This stack's address on the link (default 10.0.0.2/24) and its gateway (default 10.0.0.1; null for none). */
  address?: Ipv4Address;
  prefixLen?: number;
  gateway?: Ipv4Address | null;
  /** This stack's MAC (default: random, locally administered). */
  hardwareAddress?: MacAddress;
  /** The IP MTU (default: the host interface's). */
  mtu?: number;
  /** Frames the receive queue holds (default 1024). */
  queueLimit?: number;
}

export interface TapStats {
  rxFrames: number;
  txFrames: number;
  /** Writes the kernel refused (EAGAIN) or failed. */
  txErrors: number;
  /** Reads that failed other than EAGAIN. */
  rxErrors: number;
}

export interface TapNet {
  readonly device: TapDevice;
  readonly guest: GuestNetConfig;
  /** Resolves once the descriptors are closed. */
  close(): Promise<void>;
}

const DEFAULT_ADDRESS = ipv4(10, 0, 0, 2);
const DEFAULT_GATEWAY = ipv4(10, 0, 0, 1);
/** The largest frame a TAP hands over: a 64 KiB MTU plus an Ethernet and a VLAN header. */
const READ_BUFFER = 65536 + 18;
/** Frames read in one go before the event loop gets a turn. */
const READ_BATCH = 256;
const POLLFD_SIZE = 8;

/** Opens a TAP interface and returns the device and the guest's interface settings. */
export function openTap(options: TapOptions): TapNet {
  const device = TapDevice.open(options.name, options);
  const mac = options.hardwareAddress ?? randomLocalMac();
  return {
    device,
    guest: {
      hardwareAddress: mac, address: options.address ?? DEFAULT_ADDRESS, prefixLen: options.prefixLen ?? 24,
      gateway: options.gateway === undefined ? DEFAULT_GATEWAY : options.gateway, dns: [], mtu: device.mtu,
    },
    close: () => device.close(),
  };
}

/**
 * Parses the part of `--net tap:SPEC` after "tap:": IFNAME[,ADDR/PREFIX][,gw=ADDR|none].
 * Throws a SyntaxError naming what is wrong.
 */
export function parseTapSpec(spec: string): TapOptions {
  const fail = (why: string): never => {
    throw new SyntaxError(`Cannot parse TAP spec "${spec}": ${why}`);
  };
  const [name = "", ...rest] = spec.split(",");
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) fail(`"${name}" is not an interface name`);
  const options: TapOptions = { name };
  for (const part of rest) {
    if (part.startsWith("gw=")) {
      const gw = part.slice(3);
      options.gateway = gw === "none" ? null : parseIpv4(gw) ?? fail(`"${gw}" is not an IPv4 address`);
      continue;
    }
    const [addr = "", prefix] = part.split("/");
    options.address = parseIpv4(addr) ?? fail(`"${part}" is not ADDR/PREFIX`);
    const len = prefix === undefined ? 24 : /^\d{1,2}$/.test(prefix) ? Number(prefix) : -1;
    options.prefixLen = len >= 1 && len <= 32 ? len : fail(`"${part}" has no prefix length from 1 to 32`);
  }
  return options;
}

export class TapDevice implements Device {
  readonly medium = "ethernet";
  readonly mtu: number;
  readonly name: string;
  readonly stats: TapStats = { rxFrames: 0, txFrames: 0, txErrors: 0, rxErrors: 0 };
  readonly #c: TapLibc;
  readonly #fd: number;
  /** A pipe whose write end ends the pool thread's poll (on close). */
  readonly #cancel: Int32Array;
  readonly #queue: FrameQueue;
  readonly #queueLimit: number;
  readonly #readBuffer = new Uint8Array(READ_BUFFER);
  readonly #pollfds = new Uint8Array(2 * POLLFD_SIZE);
  #waker: (() => void) | null = null;
  /** A poll waits on the pool thread. */
  #polling = false;
  /** Reading stopped because the queue is full. */
  #full = false;
  #draining: NodeJS.Immediate | null = null;
  #closed = false;
  #released!: () => void;
  readonly #done = new Promise<void>((resolve) => {
    this.#released = resolve;
  });

  private constructor(c: TapLibc, fd: number, cancel: Int32Array, name: string, mtu: number, queueLimit: number) {
    this.#c = c;
    this.#fd = fd;
    this.#cancel = cancel;
    this.name = name;
    this.mtu = mtu;
    this.#queue = new FrameQueue(queueLimit);
    this.#queueLimit = queueLimit;
    const view = new DataView(this.#pollfds.buffer);
    view.setInt32(0, fd, true);
    view.setInt16(4, POLLIN, true);
    view.setInt32(POLLFD_SIZE, cancel[0]!, true);
    view.setInt16(POLLFD_SIZE + 4, POLLIN, true);
  }

  /** Attaches to (or creates) TAP interface `name`; throws an Error with the errno's text. */
  static open(name: string, options: { mtu?: number; queueLimit?: number } = {}): TapDevice {
    const c = tapLibc();
    const fail = (what: string): never => {
      const errno = c.errno();
      throw new Error(`Cannot open TAP ${name}: ${what}: ${c.strerror(errno)}`);
    };
    const ifreq = new Uint8Array(IFREQ_SIZE);
    const nameBytes = new TextEncoder().encode(name);
    if (nameBytes.length === 0 || nameBytes.length >= IFNAMSIZ) throw new RangeError(`Cannot open TAP ${name}: the name is not 1 to 15 bytes`);
    ifreq.set(nameBytes);
    const fd = c.open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) fail("/dev/net/tun");
    new DataView(ifreq.buffer).setInt16(IFNAMSIZ, IFF_TAP | IFF_NO_PI, true);
    if (c.ioctl(fd, TUNSETIFF, ifreq) < 0) {
      c.close(fd);
      fail("TUNSETIFF");
    }
    const cancel = new Int32Array(2);
    if (c.pipe(cancel) < 0) {
      c.close(fd);
      fail("pipe");
    }
    const mtu = options.mtu ?? interfaceMtu(c, ifreq);
    const device = new TapDevice(c, fd, cancel, name, mtu, options.queueLimit ?? 1024);
    device.#armPoll();
    return device;
  }

  receive(): Uint8Array | null {
    const frame = this.#queue.shift();
    if (frame !== null && this.#full) {
      this.#full = false;
      this.#drain();
    }
    return frame;
  }

  transmit(_now: number, frame: Uint8Array): boolean {
    if (this.#closed) return false;
    const n = this.#c.write(this.#fd, frame, frame.length);
    if (n === frame.length) {
      this.stats.txFrames++;
      return true;
    }
    this.stats.txErrors++;
    // EAGAIN: the kernel's queue is full, the sender retries; anything else drops the frame.
    return n >= 0 || this.#c.errno() !== EAGAIN;
  }

  setWaker(waker: (() => void) | null): void {
    this.#waker = waker;
  }

  /** Detaches from the interface (a transient TAP then disappears); resolves once the descriptors are closed. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      if (this.#draining !== null) clearImmediate(this.#draining);
      if (this.#polling) this.#c.write(this.#cancel[1]!, Uint8Array.of(1), 1);
      else this.#release();
    }
    return this.#done;
  }

  #armPoll(): void {
    if (this.#polling || this.#closed) return;
    this.#polling = true;
    this.#c.poll.async(this.#pollfds, 2, -1, () => {
      this.#polling = false;
      if (this.#closed) return this.#release();
      this.#drain();
    });
  }

  /** Reads frames until EAGAIN, a full queue or the batch's end. */
  #drain(): void {
    this.#draining = null;
    if (this.#closed) return;
    let read = 0;
    for (;;) {
      if (this.#queue.length >= this.#queueLimit) {
        this.#full = true;
        break;
      }
      if (read === READ_BATCH) {
        this.#draining = setImmediate(() => this.#drain());
        break;
      }
      const n = this.#c.read(this.#fd, this.#readBuffer, READ_BUFFER);
      if (n > 0) {
        this.#queue.push(this.#readBuffer.slice(0, n));
        this.stats.rxFrames++;
        read++;
        continue;
      }
      const errno = n < 0 ? this.#c.errno() : 0;
      if (errno === EINTR) continue;
      if (errno === EAGAIN) this.#armPoll();
      // Anything else (the interface was deleted) ends reception: polling would spin.
      else this.stats.rxErrors++;
      break;
    }
    if (read > 0) this.#waker?.();
  }

  #release(): void {
    this.#c.close(this.#fd);
    this.#c.close(this.#cancel[0]!);
    this.#c.close(this.#cancel[1]!);
    this.#released();
  }
}

/** The MTU Linux has for the interface named in `ifreq` (SIOCGIFMTU on a datagram socket). */
function interfaceMtu(c: TapLibc, ifreq: Uint8Array): number {
  const s = c.socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) return 1500;
  const ok = c.ioctl(s, SIOCGIFMTU, ifreq) >= 0;
  c.close(s);
  return ok ? new DataView(ifreq.buffer).getInt32(IFNAMSIZ, true) : 1500;
}

/** A random unicast, locally administered MAC (02:xx:...). */
function randomLocalMac(): MacAddress {
  return 0x020000000000 + (cryptoU32() % 0x100) * 0x100000000 + cryptoU32();
}
