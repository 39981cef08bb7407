// The public face of linux-abi/: Linux's user-space ABI as data and codecs, one file per uapi
// header area (as gVisor's pkg/abi/linux). x86-64 specifics live in x86_64/. No behaviour.

export * from "./auxv.ts";
export * from "./dirent.ts";
export * from "./elf.ts";
export * from "./errno.ts";
export * from "./eventfd.ts";
export * from "./fcntl.ts";
export * from "./fs.ts";
export * from "./futex.ts";
export * from "./ioctl.ts";
export * from "./mman.ts";
export * from "./poll.ts";
export * from "./prctl.ts";
export * from "./random.ts";
export * from "./resource.ts";
export * from "./sched.ts";
export * from "./siginfo.ts";
export * from "./signal.ts";
export * from "./signal_frame.ts";
export * from "./signalfd.ts";
export * from "./socket.ts";
export * from "./splice.ts";
export * from "./stat.ts";
export * from "./sysinfo.ts";
export * from "./termios.ts";
export * from "./time.ts";
export * from "./timerfd.ts";
export * from "./uio.ts";
export * from "./utsname.ts";
export * from "./wait.ts";
export * from "./x86_64/prctl.ts";
export * from "./x86_64/syscall_signatures.ts";
export * from "./x86_64/syscalls.ts";
