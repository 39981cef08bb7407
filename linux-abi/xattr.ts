// Linux: include/uapi/linux/xattr.h and include/uapi/linux/limits.h (extended attributes).

// setxattr(2) flags.
export const XATTR_CREATE = 0x1;
export const XATTR_REPLACE = 0x2;

/** The longest attribute name, in bytes (its NUL not counted). */
export const XATTR_NAME_MAX = 255;
/** The largest attribute value, in bytes. */
export const XATTR_SIZE_MAX = 65536;
/** The largest list listxattr(2) gives, in bytes. */
export const XATTR_LIST_MAX = 65536;

// Namespaces: a name is one of these prefixes and at least one more byte.
export const XATTR_USER_PREFIX = "user.";
export const XATTR_TRUSTED_PREFIX = "trusted.";
export const XATTR_SECURITY_PREFIX = "security.";
export const XATTR_SYSTEM_PREFIX = "system.";

/**
 * struct xattr_args (setxattrat(2), getxattrat(2)): value pointer (u64), size (u32),
 * flags (u32). A caller may pass a longer struct whose extra bytes are zero.
 */
export const XATTR_ARGS_SIZE_VER0 = 16;
