// Linux: include/uapi/linux/random.h (getrandom(2) flags).

export const GRND_NONBLOCK = 0x0001;
export const GRND_RANDOM = 0x0002;
export const GRND_INSECURE = 0x0004;
