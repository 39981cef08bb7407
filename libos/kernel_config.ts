// /proc/config.gz: the kernel configuration the LibOS answers to, for programs that read
// it to decide what to test or use (the Linux Test Project's tst_kconfig, for one). Only
// what the kernel-task implements is set; everything else reads as not set, so such a
// program skips it (TCONF) rather than tries it.

import { gzipSync } from "node:zlib";
import { bytesToString } from "../linux-abi/_byte_string.ts";

const ENABLED = [
  "64BIT", "X86_64", "MMU", "MULTIUSER", "FUTEX", "EPOLL", "SIGNALFD", "TIMERFD", "EVENTFD", "SHMEM",
  "TMPFS", "TMPFS_XATTR", "MEMFD_CREATE", "FILE_LOCKING", "POSIX_TIMERS", "PROC_FS", "SYSVIPC", "UNIX",
  "BINFMT_ELF", "BINFMT_SCRIPT", "DEVTMPFS", "UNIX98_PTYS",
];

let cached: string | null = null;

/** The gzip-compressed .config text, as a byte string. */
export function kernelConfigGz(): string {
  cached ??= bytesToString(gzipSync(`# LibOS kernel-task\n${ENABLED.map((name) => `CONFIG_${name}=y\n`).join("")}`));
  return cached;
}
