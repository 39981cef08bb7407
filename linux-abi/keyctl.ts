// Linux: include/uapi/linux/keyctl.h, include/linux/key.h (the permission bits).

/** Special keyring ids (key_serial_t). */
export const KEY_SPEC_THREAD_KEYRING = -1;
export const KEY_SPEC_PROCESS_KEYRING = -2;
export const KEY_SPEC_SESSION_KEYRING = -3;
export const KEY_SPEC_USER_KEYRING = -4;
export const KEY_SPEC_USER_SESSION_KEYRING = -5;
export const KEY_SPEC_GROUP_KEYRING = -6;
export const KEY_SPEC_REQKEY_AUTH_KEY = -7;
export const KEY_SPEC_REQUESTOR_KEYRING = -8;

/** KEYCTL_SET_REQKEY_KEYRING's choices of where request_key puts new keys. */
export const KEY_REQKEY_DEFL_NO_CHANGE = -1;
export const KEY_REQKEY_DEFL_DEFAULT = 0;
export const KEY_REQKEY_DEFL_THREAD_KEYRING = 1;
export const KEY_REQKEY_DEFL_PROCESS_KEYRING = 2;
export const KEY_REQKEY_DEFL_SESSION_KEYRING = 3;
export const KEY_REQKEY_DEFL_USER_KEYRING = 4;
export const KEY_REQKEY_DEFL_USER_SESSION_KEYRING = 5;
export const KEY_REQKEY_DEFL_GROUP_KEYRING = 6;
export const KEY_REQKEY_DEFL_REQUESTOR_KEYRING = 7;

export const KEYCTL_GET_KEYRING_ID = 0;
export const KEYCTL_JOIN_SESSION_KEYRING = 1;
export const KEYCTL_UPDATE = 2;
export const KEYCTL_REVOKE = 3;
export const KEYCTL_CHOWN = 4;
export const KEYCTL_SETPERM = 5;
export const KEYCTL_DESCRIBE = 6;
export const KEYCTL_CLEAR = 7;
export const KEYCTL_LINK = 8;
export const KEYCTL_UNLINK = 9;
export const KEYCTL_SEARCH = 10;
export const KEYCTL_READ = 11;
export const KEYCTL_INSTANTIATE = 12;
export const KEYCTL_NEGATE = 13;
export const KEYCTL_SET_REQKEY_KEYRING = 14;
export const KEYCTL_SET_TIMEOUT = 15;
export const KEYCTL_ASSUME_AUTHORITY = 16;
export const KEYCTL_GET_SECURITY = 17;
export const KEYCTL_SESSION_TO_PARENT = 18;
export const KEYCTL_REJECT = 19;
export const KEYCTL_INSTANTIATE_IOV = 20;
export const KEYCTL_INVALIDATE = 21;
export const KEYCTL_GET_PERSISTENT = 22;
export const KEYCTL_MOVE = 30;
export const KEYCTL_CAPABILITIES = 31;

export const KEYCTL_MOVE_EXCL = 0x01;

/** KEYCTL_CAPABILITIES, first byte. */
export const KEYCTL_CAPS0_CAPABILITIES = 0x01;
export const KEYCTL_CAPS0_INVALIDATE = 0x20;
export const KEYCTL_CAPS0_MOVE = 0x80;

/** Permission bits: possessor, user, group and other, a byte each (high to low). */
export const KEY_POS_VIEW = 0x01000000;
export const KEY_POS_READ = 0x02000000;
export const KEY_POS_WRITE = 0x04000000;
export const KEY_POS_SEARCH = 0x08000000;
export const KEY_POS_LINK = 0x10000000;
export const KEY_POS_SETATTR = 0x20000000;
export const KEY_POS_ALL = 0x3f000000;
export const KEY_USR_VIEW = 0x00010000;
export const KEY_USR_READ = 0x00020000;
export const KEY_USR_LINK = 0x00100000;
export const KEY_USR_ALL = 0x003f0000;
export const KEY_GRP_ALL = 0x00003f00;
export const KEY_OTH_ALL = 0x0000003f;

/** The rights a call needs, in the low byte's layout (key_task_permission's `need_perm`). */
export const KEY_NEED_VIEW = 0x01;
export const KEY_NEED_READ = 0x02;
export const KEY_NEED_WRITE = 0x04;
export const KEY_NEED_SEARCH = 0x08;
export const KEY_NEED_LINK = 0x10;
export const KEY_NEED_SETATTR = 0x20;

/** Longest description (KEY_MAX_DESC_SIZE) and type name buffer (add_key's char type[32]). */
export const KEY_MAX_DESC_SIZE = 4096;
export const KEY_TYPE_NAME_SIZE = 32;
