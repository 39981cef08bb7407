// Linux: include/uapi/linux/eventfd.h.

export const EFD_SEMAPHORE = 0o1;
export const EFD_CLOEXEC = 0o2000000;
export const EFD_NONBLOCK = 0o4000;
/** The largest value an eventfd counter holds: a write that would pass it waits. */
export const EFD_MAX = 0xfffffffffffffffen;
