// Linux: include/uapi/linux/wait.h (wait4/waitid options and idtypes). The status word is
// the kernel's (kernel/exit.c), as glibc's <bits/waitstatus.h> decodes it.

export const WNOHANG = 0x00000001;
export const WUNTRACED = 0x00000002;
export const WSTOPPED = WUNTRACED;
export const WEXITED = 0x00000004;
export const WCONTINUED = 0x00000008;
export const WNOWAIT = 0x01000000;
export const __WNOTHREAD = 0x20000000;
export const __WALL = 0x40000000;
export const __WCLONE = 0x80000000;

export const P_ALL = 0;
export const P_PID = 1;
export const P_PGID = 2;
export const P_PIDFD = 3;

/** The wait status of a child that exited with `code`. */
export function W_EXITCODE(code: number, sig: number): number {
  return ((code & 0xff) << 8) | sig;
}
/** The wait status of a child stopped by `sig`. */
export function W_STOPCODE(sig: number): number {
  return (sig << 8) | 0x7f;
}
/** Set in a "killed by signal" status when a core was dumped. */
export const WCOREFLAG = 0x80;
/** The wait status of a continued child. */
export const W_CONTINUED = 0xffff;
