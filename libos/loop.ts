// Loop block devices: a file shown as a block device (Linux: drivers/block/loop.c, and
// block/ioctl.c for the ioctls every block device answers).
//
//   /dev/loop-control  c 10,237  LOOP_CTL_GET_FREE  the first unbound device, else a new one
//                                LOOP_CTL_ADD N      a new device N (EEXIST if it exists)
//                                LOOP_CTL_REMOVE N   forgets device N (ENODEV; EBUSY while bound or open)
//   /dev/loopN         b 7,N     device N; opening a node of a device not made yet makes it,
//                                as loop_probe does. Devices 0-7 exist from the start and
//                                devfs has their nodes; a later one needs a node of its own
//                                (mknod b 7 N): devfs's set of nodes is fixed.
//
// A device's life: unbound → LOOP_SET_FD or LOOP_CONFIGURE (it takes a reference to the
// caller's open file description: the backing file) → bound → LOOP_CLR_FD marks it
// AUTOCLEAR, and makes it "rundown" at once when the caller's open is the only one (a new
// open is then ENXIO, and so is a second LOOP_CLR_FD) → at the last close of a rundown or
// AUTOCLEAR device the backing file is dropped and the device is unbound again.
//
// I/O (a DeviceFile around LoopOpen): byte offsets of the device are the backing file's
// from lo_offset, up to the device's capacity, fixed when it is bound or its status or
// capacity set (the file's size less lo_offset, at most lo_sizelimit, in whole 512-byte
// sectors). A read there stops at the capacity (0 at or past it); a write is cut to it
// (ENOSPC at or past it), EPERM on a read-only device. Each read and write goes to the
// backing file at once: there is no page cache of the device, so fsync and BLKFLSBUF have
// nothing of their own to write (fsync syncs the backing file).
//
// Not done: partitions (LO_FLAGS_PARTSCAN is kept, no partition appears), encryption
// fields (accepted and ignored, as Linux 6 does), discard and zeroing ioctls.

import type { FsStat } from "../fs-task/file_system.ts";
import { EACCES, EBADF, EBUSY, EEXIST, EFAULT, EINVAL, EIO, ENODEV, ENOSPC, ENOSYS, ENXIO, EOVERFLOW, EPERM } from "../linux-abi/errno.ts";
import { O_ACCMODE, O_RDONLY } from "../linux-abi/fcntl.ts";
import {
  BLKBSZGET, BLKFLSBUF, BLKFRAGET, BLKFRASET, BLKGETSIZE, BLKGETSIZE64, BLKPBSZGET, BLKRAGET, BLKRASET, BLKROGET,
  BLKROSET, BLKRRPART, BLKSSZGET,
} from "../linux-abi/fs.ts";
import * as L from "../linux-abi/loop.ts";
import { POLLIN, POLLOUT } from "../linux-abi/poll.ts";
import { S_IFBLK, S_IFMT, S_IFREG, major, makedev, minor } from "../linux-abi/stat.ts";
import { CAP_SYS_ADMIN } from "../linux-abi/capability.ts";
import { capable } from "./capabilities.ts";
import { DeviceFile } from "./device_file.ts";
import { OpenFile, type FileOps, type IoctlAccess, type IoResult } from "./file.ts";
import type { Thread } from "./process.ts";

const SECTOR = 512;
const PAGE_SIZE = 4096;
/** Devices made at start, as Linux's CONFIG_BLK_DEV_LOOP_MIN_COUNT. */
const INITIAL_DEVICES = 8;
/** Device numbers below this only: each is kernel-task memory the guest's quota does not see. */
const MAX_DEVICES = 256;
const LLONG_MAX = (1n << 63n) - 1n;
const CONTROL_RDEV = makedev(L.MISC_MAJOR, L.LOOP_CTRL_MINOR);

type State = "unbound" | "bound" | "rundown";

class LoopDevice {
  state: State = "unbound";
  /** The backing file while bound: a reference the device holds. */
  backing: OpenFile | null = null;
  offset = 0n;
  sizelimit = 0n;
  flags = 0;
  fileName = "";
  logicalBlockSize = SECTOR;
  /** The capacity in bytes (whole sectors), as last computed. */
  capacity = 0;
  /** BLKROSET's flag, kept across binds (the block device's, not the loop's). */
  policyReadOnly = false;
  /** The disk's read-only flag: set from LO_FLAGS_READ_ONLY at each bind, kept after it is cleared (set_disk_ro). */
  diskReadOnly = false;
  /** BLKBSZGET: the soft block size the first open chose (set_init_blocksize). */
  blockSize = PAGE_SIZE;
  /** BLKRASET: readahead in pages (the disk's bdi->ra_pages; 128 KiB by default). */
  readaheadPages = 32;
  /** Open file descriptions of its nodes (disk_openers). */
  openers = 0;

  constructor(readonly number: number) {}

  get readOnly(): boolean {
    return this.policyReadOnly || this.diskReadOnly;
  }

  /** get_loop_size: the backing file's size less the offset, at most the size limit, in whole sectors. */
  computeCapacity(): void {
    const size = this.backing === null ? 0 : sizeOf(this.backing);
    let bytes = BigInt(Math.max(size, 0)) - this.offset;
    if (bytes < 0n) bytes = 0n;
    if (this.sizelimit > 0n && this.sizelimit < bytes) bytes = this.sizelimit;
    this.capacity = Number(bytes / BigInt(SECTOR)) * SECTOR;
  }

  /** __loop_clr_fd: the backing file goes and the device is as new. */
  clear(): void {
    const backing = this.backing;
    this.backing = null;
    this.state = "unbound";
    this.offset = this.sizelimit = 0n;
    this.flags = 0;
    this.fileName = "";
    this.logicalBlockSize = SECTOR;
    this.capacity = 0;
    backing?.unref();
  }
}

/** The loop devices of a user kernel, and the opens of their nodes and of /dev/loop-control. */
export class LoopDevices {
  readonly #devices: (LoopDevice | undefined)[] = [];

  /** `caller` is the thread whose syscall is served (its descriptors, its credentials). */
  constructor(readonly caller: () => Thread) {
    for (let i = 0; i < INITIAL_DEVICES; i++) this.#devices[i] = new LoopDevice(i);
  }

  /**
   * Open of device `rdev` of type `type` (S_IFBLK or S_IFCHR) through `node`, opened as
   * `path` with `flags`: the device file, an errno, or null when it is not a loop device.
   */
  open(type: number, rdev: number, flags: number, path: string, node: FileOps): FileOps | number | null {
    if (type !== S_IFBLK) return rdev === CONTROL_RDEV ? new DeviceFile(new LoopControl(this), node, path) : null;
    if (major(rdev) !== L.LOOP_MAJOR) return null;
    const n = minor(rdev);
    if (n >= MAX_DEVICES) return -ENXIO;
    const dev = this.#devices[n] ?? (this.#devices[n] = new LoopDevice(n));
    if (dev.state === "rundown") return -ENXIO;
    if (dev.openers++ === 0) dev.blockSize = initBlockSize(dev);
    const writable = (flags & O_ACCMODE) !== O_RDONLY;
    return new DeviceFile(new LoopOpen(this, dev, writable), node, path);
  }

  /** The last close of an open of `dev`: a rundown or AUTOCLEAR device lets its file go (lo_release). */
  released(dev: LoopDevice): void {
    if (--dev.openers > 0) return;
    if (dev.state === "bound" && dev.flags & L.LO_FLAGS_AUTOCLEAR) dev.state = "rundown";
    if (dev.state === "rundown") dev.clear();
  }

  /** The ioctls of /dev/loop-control (loop_control_ioctl). */
  control(request: number, arg: number): number {
    const n = arg | 0;
    switch (request) {
      case L.LOOP_CTL_ADD:
        return this.#add(n);
      case L.LOOP_CTL_REMOVE: {
        if (n < 0) return -EINVAL;
        const dev = this.#devices[n];
        if (dev === undefined) return -ENODEV;
        if (dev.state !== "unbound" || dev.openers > 0) return -EBUSY;
        this.#devices[n] = undefined;
        return 0;
      }
      case L.LOOP_CTL_GET_FREE: {
        const free = this.#devices.find((d) => d !== undefined && d.state === "unbound");
        return free ? free.number : this.#add(-1);
      }
      default:
        return -ENOSYS;
    }
  }

  /** loop_add: device `n`, or the lowest free number when `n` < 0. */
  #add(n: number): number {
    if (n < 0) {
      n = this.#devices.findIndex((d) => d === undefined);
      if (n < 0) n = this.#devices.length;
      if (n >= MAX_DEVICES) return -ENOSPC;
    } else if (n >= MAX_DEVICES) {
      return -EINVAL;
    } else if (this.#devices[n] !== undefined) {
      return -EEXIST;
    }
    this.#devices[n] = new LoopDevice(n);
    return n;
  }

  /** The loop device `f` is an open of, if it is one. */
  deviceOf(f: OpenFile): LoopDevice | null {
    const ops = f.ops instanceof DeviceFile ? f.ops.device : f.ops;
    return ops instanceof LoopOpen ? ops.dev : null;
  }
}

/** /dev/loop-control: ioctls only (a read or write is EINVAL, lseek moves nothing). */
class LoopControl implements FileOps {
  readonly seekable = false;
  readonly seekIgnored = true;
  readonly readiness = null;
  readonly path = "/dev/loop-control";

  constructor(readonly devices: LoopDevices) {}

  read(): IoResult {
    return -EINVAL;
  }

  write(): IoResult {
    return -EINVAL;
  }

  stat(): FsStat | number {
    return -EINVAL;
  }

  readdir(): number {
    return -EINVAL;
  }

  truncate(): number {
    return -EINVAL;
  }

  ioctl(request: number, argp: number): number {
    return this.devices.control(request, argp);
  }

  poll(): number {
    return POLLIN | POLLOUT;
  }

  release(): void {}
}

/** One open of /dev/loopN: I/O at device offsets, and the block and loop ioctls. */
class LoopOpen implements FileOps {
  readonly seekable = true;
  readonly readiness = null;
  readonly path = "";

  constructor(readonly devices: LoopDevices, readonly dev: LoopDevice, readonly writable: boolean) {}

  read(dst: Uint8Array, offset: number): IoResult {
    const dev = this.dev;
    if (offset >= dev.capacity || dst.length === 0) return 0;
    if (dev.state !== "bound") return -EIO;
    const n = Math.min(dst.length, dev.capacity - offset);
    return dev.backing!.ops.read(dst.subarray(0, n), Number(dev.offset) + offset);
  }

  write(src: Uint8Array, offset: number): IoResult {
    const dev = this.dev;
    if (dev.readOnly) return -EPERM;
    if (src.length === 0) return 0;
    if (offset >= dev.capacity) return -ENOSPC;
    if (dev.state !== "bound") return -EIO;
    const n = Math.min(src.length, dev.capacity - offset);
    return dev.backing!.ops.write(src.subarray(0, n), Number(dev.offset) + offset);
  }

  sync(dataOnly: boolean): number {
    const r = this.dev.backing?.ops.sync?.(dataOnly) ?? 0;
    return r < 0 ? r : 0;
  }

  seekEnd(): number {
    return this.dev.capacity;
  }

  stat(): FsStat | number {
    return -EINVAL;
  }

  readdir(): number {
    return -EINVAL;
  }

  truncate(): number {
    return -EINVAL;
  }

  poll(): number {
    return POLLIN | POLLOUT;
  }

  release(): void {
    this.devices.released(this.dev);
  }

  /** blkdev_ioctl: the block device's own requests, then the loop driver's (lo_ioctl). */
  ioctl(request: number, argp: number, io: IoctlAccess): number {
    const dev = this.dev;
    const admin = (): boolean => capable(this.devices.caller().creds, CAP_SYS_ADMIN);
    switch (request) {
      case BLKROSET: {
        if (!admin()) return -EACCES;
        const v = io.read(argp, 4);
        if (v === null) return -EFAULT;
        dev.policyReadOnly = new DataView(v.buffer, v.byteOffset, 4).getInt32(0, true) !== 0;
        return 0;
      }
      case BLKROGET:
        return putU32(io, argp, dev.readOnly ? 1 : 0);
      case BLKRRPART:
        if (!admin()) return -EACCES;
        return dev.flags & L.LO_FLAGS_PARTSCAN ? 0 : -EINVAL;
      case BLKGETSIZE:
        return putU64(io, argp, BigInt(dev.capacity / SECTOR));
      case BLKGETSIZE64:
        return putU64(io, argp, BigInt(dev.capacity));
      case BLKFLSBUF:
        return admin() ? 0 : -EACCES;
      case BLKRASET:
      case BLKFRASET:
        // In sectors, kept in pages (so rounded down to 8 sectors), as Linux keeps it.
        if (!admin()) return -EACCES;
        dev.readaheadPages = Math.floor(argp / (PAGE_SIZE / SECTOR));
        return 0;
      case BLKRAGET:
      case BLKFRAGET:
        return putU64(io, argp, BigInt.asUintN(64, BigInt(dev.readaheadPages) * BigInt(PAGE_SIZE / SECTOR)));
      case BLKSSZGET:
      case BLKPBSZGET:
        return putU32(io, argp, dev.logicalBlockSize);
      case BLKBSZGET:
        return putU32(io, argp, Math.max(dev.blockSize, dev.logicalBlockSize));
      case L.LOOP_SET_FD:
        return this.#configure({ fd: argp >>> 0, blockSize: 0, info: emptyInfo() });
      case L.LOOP_CONFIGURE: {
        const v = io.read(argp, L.SIZEOF_LOOP_CONFIG);
        return v === null ? -EFAULT : this.#configure(L.decodeLoopConfig(viewOf(v), 0));
      }
      case L.LOOP_CHANGE_FD:
        return this.#changeFd(argp >>> 0);
      case L.LOOP_CLR_FD:
        if (dev.state !== "bound") return -ENXIO;
        dev.flags |= L.LO_FLAGS_AUTOCLEAR;
        if (dev.openers === 1) dev.state = "rundown";
        return 0;
      case L.LOOP_SET_STATUS:
      case L.LOOP_SET_STATUS64: {
        if (!this.writable && !admin()) return -EPERM;
        const old = request === L.LOOP_SET_STATUS;
        const v = io.read(argp, old ? L.SIZEOF_LOOP_INFO : L.SIZEOF_LOOP_INFO64);
        if (v === null) return -EFAULT;
        return this.#setStatus(old ? L.decodeLoopInfoOld(viewOf(v), 0) : L.decodeLoopInfo64(viewOf(v), 0));
      }
      case L.LOOP_GET_STATUS:
      case L.LOOP_GET_STATUS64:
        return this.#getStatus(request === L.LOOP_GET_STATUS, argp, io);
      case L.LOOP_SET_CAPACITY:
      case L.LOOP_SET_DIRECT_IO:
      case L.LOOP_SET_BLOCK_SIZE:
        if (!this.writable && !admin()) return -EPERM;
        if (dev.state !== "bound") return -ENXIO;
        return this.#simple(request, argp);
      default:
        return -EINVAL;
    }
  }

  /** loop_configure: LOOP_SET_FD is LOOP_CONFIGURE with a zeroed config. */
  #configure(config: L.LoopConfig): number {
    const dev = this.dev;
    const file = this.devices.caller().process.fds.getOpen(config.fd);
    if (file === null) return -EBADF;
    if (dev.state !== "unbound") return -EBUSY;
    const valid = this.#validBacking(file);
    if (valid < 0) return valid;
    const info = config.info;
    if (info.flags & ~L.LOOP_CONFIGURE_SETTABLE_FLAGS) return -EINVAL;
    if (info.offset > LLONG_MAX || info.sizelimit > LLONG_MAX) return -EOVERFLOW;
    if (config.blockSize !== 0 && !validBlockSize(config.blockSize)) return -EINVAL;
    dev.offset = info.offset;
    dev.sizelimit = info.sizelimit;
    dev.fileName = info.fileName;
    dev.flags = info.flags;
    if ((file.flags & O_ACCMODE) === O_RDONLY || !this.writable) dev.flags |= L.LO_FLAGS_READ_ONLY;
    dev.diskReadOnly = (dev.flags & L.LO_FLAGS_READ_ONLY) !== 0;
    if (config.blockSize !== 0) dev.logicalBlockSize = config.blockSize;
    dev.backing = file.ref();
    dev.state = "bound";
    dev.computeCapacity();
    return 0;
  }

  /** loop_validate_file: a regular file or a bound block device that does not lead back here. */
  #validBacking(file: OpenFile): number {
    let f = file;
    for (let inner = this.devices.deviceOf(f); inner !== null; inner = this.devices.deviceOf(f)) {
      if (inner === this.dev) return -EBADF;
      if (inner.state !== "bound") return -EINVAL;
      f = inner.backing!;
    }
    const st = f.ops.stat();
    if (typeof st === "number") return st;
    const type = st.mode & S_IFMT;
    return type === S_IFREG || type === S_IFBLK ? 0 : -EINVAL;
  }

  /** loop_change_fd: a read-only device's file swapped for another of the same size. */
  #changeFd(fd: number): number {
    const dev = this.dev;
    if (dev.state !== "bound") return -ENXIO;
    const file = this.devices.caller().process.fds.getOpen(fd);
    if (file === null) return -EBADF;
    if (!(dev.flags & L.LO_FLAGS_READ_ONLY)) return -EINVAL;
    const valid = this.#validBacking(file);
    if (valid < 0) return valid;
    if (sizeOf(file) !== sizeOf(dev.backing!)) return -EINVAL;
    const old = dev.backing!;
    dev.backing = file.ref();
    old.unref();
    return 0;
  }

  /** loop_set_status: offset, size limit, name, and the flags LOOP_SET_STATUS may change. */
  #setStatus(info: L.LoopInfo64): number {
    const dev = this.dev;
    if (dev.state !== "bound") return -ENXIO;
    if (info.offset > LLONG_MAX || info.sizelimit > LLONG_MAX) return -EOVERFLOW;
    const resized = dev.offset !== info.offset || dev.sizelimit !== info.sizelimit;
    dev.offset = info.offset;
    dev.sizelimit = info.sizelimit;
    dev.fileName = info.fileName;
    dev.flags = (dev.flags & ~L.LOOP_SET_STATUS_CLEARABLE_FLAGS) | (info.flags & L.LOOP_SET_STATUS_SETTABLE_FLAGS);
    if (resized) dev.computeCapacity();
    return 0;
  }

  /** loop_get_status, in the old struct or the 64-bit one: EINVAL for NULL, ENXIO unbound. */
  #getStatus(old: boolean, argp: number, io: IoctlAccess): number {
    const dev = this.dev;
    if (argp === 0) return -EINVAL;
    if (dev.state !== "bound") return -ENXIO;
    const st = dev.backing!.ops.stat();
    const info: L.LoopInfo64 = {
      ...emptyInfo(), number: dev.number, offset: dev.offset, sizelimit: dev.sizelimit, flags: dev.flags, fileName: dev.fileName,
    };
    if (typeof st !== "number") {
      info.device = BigInt(st.dev);
      info.inode = BigInt(st.ino);
      info.rdevice = BigInt(st.rdev);
    }
    const bytes = new Uint8Array(old ? L.SIZEOF_LOOP_INFO : L.SIZEOF_LOOP_INFO64);
    if (old ? !L.encodeLoopInfoOld(viewOf(bytes), 0, info) : (L.encodeLoopInfo64(viewOf(bytes), 0, info), false)) return -EOVERFLOW;
    return io.write(argp, bytes) ? 0 : -EFAULT;
  }

  /** lo_simple_ioctl on a bound device. */
  #simple(request: number, arg: number): number {
    const dev = this.dev;
    switch (request) {
      case L.LOOP_SET_CAPACITY:
        dev.computeCapacity();
        return 0;
      case L.LOOP_SET_DIRECT_IO:
        // Direct I/O wants the offset aligned to the logical block size (lo_can_use_dio).
        if (arg !== 0 && dev.offset % BigInt(dev.logicalBlockSize) !== 0n) return -EINVAL;
        dev.flags = arg !== 0 ? dev.flags | L.LO_FLAGS_DIRECT_IO : dev.flags & ~L.LO_FLAGS_DIRECT_IO;
        return 0;
      default:
        if (!validBlockSize(arg)) return -EINVAL;
        dev.logicalBlockSize = arg;
        return 0;
    }
  }
}

/** What a device's backing file holds: its size, or a block device's capacity. */
function sizeOf(f: OpenFile): number {
  const end = f.ops.seekEnd?.();
  if (end !== undefined) return end;
  const st = f.ops.stat();
  return typeof st === "number" ? 0 : st.size;
}

/** blk_validate_block_size: a power of two from 512 to the page size. */
function validBlockSize(size: number): boolean {
  return size >= SECTOR && size <= PAGE_SIZE && (size & (size - 1)) === 0;
}

/** set_init_blocksize: from the logical block size, doubled while the capacity stays a multiple, up to a page. */
function initBlockSize(dev: LoopDevice): number {
  let size = dev.logicalBlockSize;
  while (size < PAGE_SIZE && dev.capacity % (size * 2) === 0) size *= 2;
  return size;
}

function emptyInfo(): L.LoopInfo64 {
  return {
    device: 0n, inode: 0n, rdevice: 0n, offset: 0n, sizelimit: 0n, number: 0, encryptType: 0, encryptKeySize: 0, flags: 0, fileName: "",
  };
}

function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function putU32(io: IoctlAccess, addr: number, value: number): number {
  const b = new Uint8Array(4);
  viewOf(b).setUint32(0, value, true);
  return io.write(addr, b) ? 0 : -EFAULT;
}

function putU64(io: IoctlAccess, addr: number, value: bigint): number {
  const b = new Uint8Array(8);
  viewOf(b).setBigUint64(0, value, true);
  return io.write(addr, b) ? 0 : -EFAULT;
}
