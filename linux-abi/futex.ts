// Linux: include/uapi/linux/futex.h (futex(2) operations, flags and the robust-list bits).

export const FUTEX_WAIT = 0;
export const FUTEX_WAKE = 1;
export const FUTEX_FD = 2;
export const FUTEX_REQUEUE = 3;
export const FUTEX_CMP_REQUEUE = 4;
export const FUTEX_WAKE_OP = 5;
export const FUTEX_LOCK_PI = 6;
export const FUTEX_UNLOCK_PI = 7;
export const FUTEX_TRYLOCK_PI = 8;
export const FUTEX_WAIT_BITSET = 9;
export const FUTEX_WAKE_BITSET = 10;
export const FUTEX_WAIT_REQUEUE_PI = 11;
export const FUTEX_CMP_REQUEUE_PI = 12;
export const FUTEX_LOCK_PI2 = 13;

export const FUTEX_PRIVATE_FLAG = 128;
export const FUTEX_CLOCK_REALTIME = 256;
export const FUTEX_CMD_MASK = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);

export const FUTEX_WAIT_PRIVATE = FUTEX_WAIT | FUTEX_PRIVATE_FLAG;
export const FUTEX_WAKE_PRIVATE = FUTEX_WAKE | FUTEX_PRIVATE_FLAG;
export const FUTEX_REQUEUE_PRIVATE = FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG;
export const FUTEX_CMP_REQUEUE_PRIVATE = FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG;
export const FUTEX_WAKE_OP_PRIVATE = FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG;
export const FUTEX_LOCK_PI_PRIVATE = FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG;
export const FUTEX_LOCK_PI2_PRIVATE = FUTEX_LOCK_PI2 | FUTEX_PRIVATE_FLAG;
export const FUTEX_UNLOCK_PI_PRIVATE = FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG;
export const FUTEX_TRYLOCK_PI_PRIVATE = FUTEX_TRYLOCK_PI | FUTEX_PRIVATE_FLAG;
export const FUTEX_WAIT_BITSET_PRIVATE = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG;
export const FUTEX_WAKE_BITSET_PRIVATE = FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG;
export const FUTEX_WAIT_REQUEUE_PI_PRIVATE = FUTEX_WAIT_REQUEUE_PI | FUTEX_PRIVATE_FLAG;
export const FUTEX_CMP_REQUEUE_PI_PRIVATE = FUTEX_CMP_REQUEUE_PI | FUTEX_PRIVATE_FLAG;

/** The val3 of FUTEX_WAIT_BITSET/FUTEX_WAKE_BITSET that matches every waiter. */
export const FUTEX_BITSET_MATCH_ANY = 0xffffffff;

// Robust-list futex word bits.
export const FUTEX_WAITERS = 0x80000000;
export const FUTEX_OWNER_DIED = 0x40000000;
export const FUTEX_TID_MASK = 0x3fffffff;

// FUTEX_WAKE_OP encoding.
export const FUTEX_OP_SET = 0;
export const FUTEX_OP_ADD = 1;
export const FUTEX_OP_OR = 2;
export const FUTEX_OP_ANDN = 3;
export const FUTEX_OP_XOR = 4;
export const FUTEX_OP_OPARG_SHIFT = 8;
export const FUTEX_OP_CMP_EQ = 0;
export const FUTEX_OP_CMP_NE = 1;
export const FUTEX_OP_CMP_LT = 2;
export const FUTEX_OP_CMP_LE = 3;
export const FUTEX_OP_CMP_GT = 4;
export const FUTEX_OP_CMP_GE = 5;
