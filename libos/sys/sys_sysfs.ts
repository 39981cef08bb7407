// sysfs(2): the file-system types the kernel knows, by name or index (Linux:
// fs/filesystems.c). The list is /proc/filesystems', in its order.

import * as E from "../../linux-abi/errno.ts";
import { stringToBytes } from "../../linux-abi/_byte_string.ts";
import { FILESYSTEM_TYPES } from "../procfs.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";
import { readPath } from "./_path.ts";

const GET_INDEX = 1, GET_NAME = 2, COUNT = 3;

/** Sysfs implements Linux syscall sysfs(2). */
export function sysSysfs(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  switch (a.int(0)) {
    case GET_INDEX: {
      const name = readPath(t, a.ptr(1));
      if (typeof name === "number") return name;
      const i = FILESYSTEM_TYPES.indexOf(name);
      return i < 0 ? -E.EINVAL : i;
    }
    case GET_NAME: {
      const name = FILESYSTEM_TYPES[a.uint(1)];
      if (name === undefined) return -E.EINVAL;
      const bytes = new Uint8Array(name.length + 1);
      bytes.set(stringToBytes(name));
      return t.process.memory.write(a.ptr(2), bytes) ? 0 : -E.EFAULT;
    }
    case COUNT:
      return FILESYSTEM_TYPES.length;
    default:
      return -E.EINVAL;
  }
}
