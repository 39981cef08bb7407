// Linux: include/uapi/linux/prctl.h (the prctl(2) options programs commonly use).

export const PR_SET_PDEATHSIG = 1;
export const PR_GET_PDEATHSIG = 2;
export const PR_GET_DUMPABLE = 3;
export const PR_SET_DUMPABLE = 4;
export const PR_GET_KEEPCAPS = 7;
export const PR_SET_KEEPCAPS = 8;
export const PR_SET_NAME = 15;
export const PR_GET_NAME = 16;
export const PR_GET_SECCOMP = 21;
export const PR_SET_SECCOMP = 22;
export const PR_CAPBSET_READ = 23;
export const PR_CAPBSET_DROP = 24;
export const PR_GET_SECUREBITS = 27;
export const PR_SET_SECUREBITS = 28;
export const PR_SET_TIMERSLACK = 29;
export const PR_GET_TIMERSLACK = 30;
export const PR_SET_MM = 35;
export const PR_SET_CHILD_SUBREAPER = 36;
export const PR_GET_CHILD_SUBREAPER = 37;
export const PR_SET_NO_NEW_PRIVS = 38;
export const PR_GET_NO_NEW_PRIVS = 39;
export const PR_GET_TID_ADDRESS = 40;
export const PR_SET_THP_DISABLE = 41;
export const PR_GET_THP_DISABLE = 42;
export const PR_CAP_AMBIENT = 47;
export const PR_GET_SPECULATION_CTRL = 52;
export const PR_SET_SPECULATION_CTRL = 53;
export const PR_SET_PTRACER = 0x59616d61;
export const PR_SET_VMA = 0x53564d41;
export const PR_SET_VMA_ANON_NAME = 0;

