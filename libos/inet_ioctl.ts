// The interface ioctls an AF_INET socket answers (what busybox ifconfig and ip ask):
// SIOCGIFCONF, and SIOCGIF{NAME,FLAGS,ADDR,DSTADDR,BRDADDR,NETMASK,METRIC,MTU,HWADDR,
// INDEX,TXQLEN,MAP} on a struct ifreq. The facts are the net-task's (NetApi.interfaces);
// the setters (SIOCSIF*) read their ifreq (EFAULT) and then refuse: the stack's interfaces
// cannot change from inside the guest (EPERM, as without CAP_NET_ADMIN).
// Linux: net/core/dev_ioctl.c, net/ipv4/devinet.c (devinet_ioctl, inet_gifconf).

import * as E from "../linux-abi/errno.ts";
import * as I from "../linux-abi/inet.ts";
import type { NetApi, NetInterfaceInfo } from "../net-task/mod.ts";
import type { IoctlAccess } from "./file.ts";

const GETTERS = new Set([
  I.SIOCGIFNAME, I.SIOCGIFCONF, I.SIOCGIFFLAGS, I.SIOCGIFADDR, I.SIOCGIFDSTADDR, I.SIOCGIFBRDADDR, I.SIOCGIFNETMASK, I.SIOCGIFMETRIC,
  I.SIOCGIFMTU, I.SIOCGIFHWADDR, I.SIOCGIFINDEX, I.SIOCGIFTXQLEN, I.SIOCGIFMAP,
]);
/** SIOCSIF{FLAGS,ADDR,DSTADDR,BRDADDR,NETMASK,METRIC,MTU,NAME,HWADDR,TXQLEN}. */
const SETTERS = new Set([0x8914, 0x8916, 0x8918, 0x891a, 0x891c, 0x891e, 0x8922, 0x8923, 0x8924, 0x8943]);
/** dev->tx_queue_len (DEFAULT_TX_QUEUE_LEN). */
const TX_QUEUE_LEN = 1000;

export function isInterfaceIoctl(request: number): boolean {
  return GETTERS.has(request) || SETTERS.has(request);
}

/** One interface ioctl: 0 or -errno. */
export function interfaceIoctl(net: NetApi, request: number, argp: number, io: IoctlAccess): number {
  const interfaces = net.interfaces();
  if (request === I.SIOCGIFCONF) return ifconf(interfaces, argp, io);
  const req = io.read(argp, I.SIZEOF_IFREQ);
  if (req === null) return -E.EFAULT;
  if (SETTERS.has(request)) return -E.EPERM;
  const out = req.slice();
  const v = new DataView(out.buffer);
  let it: NetInterfaceInfo | undefined;
  if (request === I.SIOCGIFNAME) {
    it = interfaces.find((i) => i.index === v.getInt32(I.IFNAMSIZ, true));
    if (it === undefined) return -E.ENODEV;
    writeName(out, it.name);
    return io.write(argp, out) ? 0 : -E.EFAULT;
  }
  const end = req.indexOf(0);
  const name = String.fromCharCode(...req.subarray(0, end < 0 || end > I.IFNAMSIZ ? I.IFNAMSIZ : end));
  it = interfaces.find((i) => i.name === name);
  if (it === undefined) return -E.ENODEV;
  const field = out.subarray(I.IFNAMSIZ);
  field.fill(0);
  const addr = (a: number): void => field.set(I.encodeSockaddrIn(a, 0));
  const mask = it.prefixLen === 0 ? 0 : (0xffffffff << (32 - it.prefixLen)) >>> 0;
  switch (request) {
    case I.SIOCGIFFLAGS: v.setInt16(I.IFNAMSIZ, it.flags, true); break;
    case I.SIOCGIFADDR:
    case I.SIOCGIFDSTADDR:
      if (it.addr === 0) return -E.EADDRNOTAVAIL;
      addr(it.addr);
      break;
    case I.SIOCGIFBRDADDR:
      if (it.addr === 0) return -E.EADDRNOTAVAIL;
      addr(it.flags & I.IFF_BROADCAST ? (it.addr | ~mask) >>> 0 : 0);
      break;
    case I.SIOCGIFNETMASK:
      if (it.addr === 0) return -E.EADDRNOTAVAIL;
      addr(mask);
      break;
    case I.SIOCGIFMETRIC: v.setInt32(I.IFNAMSIZ, 0, true); break;
    case I.SIOCGIFMTU: v.setInt32(I.IFNAMSIZ, it.mtu, true); break;
    case I.SIOCGIFINDEX: v.setInt32(I.IFNAMSIZ, it.index, true); break;
    case I.SIOCGIFTXQLEN: v.setInt32(I.IFNAMSIZ, TX_QUEUE_LEN, true); break;
    case I.SIOCGIFMAP: break;
    case I.SIOCGIFHWADDR:
      v.setUint16(I.IFNAMSIZ, it.hwType, true);
      for (let i = 0; i < 6; i++) field[2 + i] = Math.floor(it.mac / 2 ** (8 * (5 - i))) & 0xff;
      break;
  }
  return io.write(argp, out) ? 0 : -E.EFAULT;
}

function writeName(out: Uint8Array, name: string): void {
  out.fill(0, 0, I.IFNAMSIZ);
  for (let i = 0; i < Math.min(name.length, I.IFNAMSIZ - 1); i++) out[i] = name.charCodeAt(i);
}

/** SIOCGIFCONF: as many ifreqs (name, address) as ifc_len holds; ifc_len ← the bytes used (or needed, for a NULL buffer). */
function ifconf(interfaces: NetInterfaceInfo[], argp: number, io: IoctlAccess): number {
  const head = io.read(argp, I.SIZEOF_IFCONF);
  if (head === null) return -E.EFAULT;
  const hv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const len = hv.getInt32(0, true);
  const buf = hv.getUint32(8, true) + hv.getUint32(12, true) * 4294967296;
  const listed = interfaces.filter((i) => i.addr !== 0);
  let used = 0;
  if (buf === 0) {
    used = listed.length * I.SIZEOF_IFREQ;
  } else {
    if (len < 0) return -E.EINVAL;
    for (const it of listed) {
      if (used + I.SIZEOF_IFREQ > len) break;
      const req = new Uint8Array(I.SIZEOF_IFREQ);
      writeName(req, it.name);
      req.set(I.encodeSockaddrIn(it.addr, 0), I.IFNAMSIZ);
      if (!io.write(buf + used, req)) return -E.EFAULT;
      used += I.SIZEOF_IFREQ;
    }
  }
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, used, true);
  return io.write(argp, out) ? 0 : -E.EFAULT;
}
