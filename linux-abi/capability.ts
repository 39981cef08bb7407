// Linux: include/uapi/linux/capability.h, include/uapi/linux/securebits.h and the
// PR_CAP_AMBIENT arguments of include/uapi/linux/prctl.h.

export const CAP_CHOWN = 0;
export const CAP_DAC_OVERRIDE = 1;
export const CAP_DAC_READ_SEARCH = 2;
export const CAP_FOWNER = 3;
export const CAP_FSETID = 4;
export const CAP_KILL = 5;
export const CAP_SETGID = 6;
export const CAP_SETUID = 7;
export const CAP_SETPCAP = 8;
export const CAP_LINUX_IMMUTABLE = 9;
export const CAP_NET_BIND_SERVICE = 10;
export const CAP_NET_ADMIN = 12;
export const CAP_NET_RAW = 13;
export const CAP_IPC_LOCK = 14;
export const CAP_IPC_OWNER = 15;
export const CAP_SYS_MODULE = 16;
export const CAP_SYS_RAWIO = 17;
export const CAP_SYS_CHROOT = 18;
export const CAP_SYS_PTRACE = 19;
export const CAP_SYS_PACCT = 20;
export const CAP_SYS_ADMIN = 21;
export const CAP_SYS_BOOT = 22;
export const CAP_SYS_NICE = 23;
export const CAP_SYS_RESOURCE = 24;
export const CAP_SYS_TIME = 25;
export const CAP_SYS_TTY_CONFIG = 26;
export const CAP_MKNOD = 27;
export const CAP_LEASE = 28;
export const CAP_AUDIT_WRITE = 29;
export const CAP_AUDIT_CONTROL = 30;
export const CAP_SETFCAP = 31;
export const CAP_MAC_OVERRIDE = 32;
export const CAP_MAC_ADMIN = 33;
export const CAP_SYSLOG = 34;
export const CAP_WAKE_ALARM = 35;
export const CAP_BLOCK_SUSPEND = 36;
export const CAP_AUDIT_READ = 37;
export const CAP_PERFMON = 38;
export const CAP_BPF = 39;
export const CAP_CHECKPOINT_RESTORE = 40;
export const CAP_LAST_CAP = CAP_CHECKPOINT_RESTORE;

/** capget/capset header versions: v1 has one 32-bit word per set, v2 and v3 two. */
export const LINUX_CAPABILITY_VERSION_1 = 0x19980330;
export const LINUX_CAPABILITY_VERSION_2 = 0x20071026;
export const LINUX_CAPABILITY_VERSION_3 = 0x20080522;
/** struct __user_cap_header_struct: version, pid. */
export const SIZEOF_CAP_HEADER = 8;
/** struct __user_cap_data_struct: effective, permitted, inheritable (u32 each). */
export const SIZEOF_CAP_DATA = 12;

// securebits: each flag and its lock bit (flag + 1).
export const SECURE_NOROOT = 0;
export const SECURE_NO_SETUID_FIXUP = 2;
export const SECURE_KEEP_CAPS = 4;
export const SECURE_NO_CAP_AMBIENT_RAISE = 6;
export const SECBIT_NOROOT = 1 << SECURE_NOROOT;
export const SECBIT_NO_SETUID_FIXUP = 1 << SECURE_NO_SETUID_FIXUP;
export const SECBIT_KEEP_CAPS = 1 << SECURE_KEEP_CAPS;
export const SECBIT_NO_CAP_AMBIENT_RAISE = 1 << SECURE_NO_CAP_AMBIENT_RAISE;
/** Every flag and lock bit Linux knows (SECURE_ALL_BITS | SECURE_ALL_LOCKS). */
export const SECURE_ALL_BITS_AND_LOCKS = 0xff;
/** The lock bits (each flag's bit shifted by one). */
export const SECURE_ALL_LOCKS = 0xaa;

// PR_CAP_AMBIENT's second argument.
export const PR_CAP_AMBIENT_IS_SET = 1;
export const PR_CAP_AMBIENT_RAISE = 2;
export const PR_CAP_AMBIENT_LOWER = 3;
export const PR_CAP_AMBIENT_CLEAR_ALL = 4;
