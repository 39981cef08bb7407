// DeviceFile: one open of a device node whose driver is the kernel-task's (terminals.ts,
// loop.ts), as Linux finds a driver by the node's device number. The device's operations
// do the work; the node the caller opened answers fstat, and the name it was opened by
// goes to /proc/PID/fd (so ttyname(3) finds the name it opened).

import type { FsDirPage, FsStat } from "../fs-task/file_system.ts";
import { EINVAL } from "../linux-abi/errno.ts";
import type { FileOps, IoctlAccess, IoResult } from "./file.ts";
import type { Thread } from "./process.ts";
import type { WaitQueue } from "./wait_queue.ts";

export class DeviceFile implements FileOps {
  constructor(readonly device: FileOps, readonly node: FileOps, readonly path: string) {}

  /** A block device has offsets; a terminal does not. */
  get seekable(): boolean {
    return this.device.seekable;
  }

  get readiness(): WaitQueue | null {
    return this.device.readiness;
  }

  get hostFd(): number | undefined {
    return this.device.hostFd;
  }

  read(dst: Uint8Array, offset: number, caller?: Thread): IoResult {
    return this.device.read(dst, offset, caller);
  }

  write(src: Uint8Array, offset: number): IoResult {
    return this.device.write(src, offset);
  }

  jobControl(t: Thread, write: boolean): number {
    return this.device.jobControl?.(t, write) ?? 0;
  }

  readTimeout(): number {
    return this.device.readTimeout?.() ?? -1;
  }

  poll(caller: Thread): number {
    return this.device.poll(caller);
  }

  ioctl(request: number, argp: number, io: IoctlAccess): number {
    return this.device.ioctl(request, argp, io);
  }

  sync(dataOnly: boolean): number {
    return this.device.sync?.(dataOnly) ?? -EINVAL;
  }

  seekEnd(): number {
    const end = this.device.seekEnd?.();
    if (end !== undefined) return end;
    const st = this.node.stat();
    return typeof st === "number" ? st : st.size;
  }

  stat(): FsStat | number {
    return this.node.stat();
  }

  readdir(): FsDirPage | number {
    return this.device.readdir(0, 0);
  }

  truncate(size: number): number {
    return this.device.truncate(size);
  }

  release(): void {
    this.device.release();
    this.node.release();
  }
}
