// Linux: arch/x86/include/uapi/asm/prctl.h (arch_prctl(2) codes).

export const ARCH_SET_GS = 0x1001;
export const ARCH_SET_FS = 0x1002;
export const ARCH_GET_FS = 0x1003;
export const ARCH_GET_GS = 0x1004;
export const ARCH_GET_CPUID = 0x1011;
export const ARCH_SET_CPUID = 0x1012;
export const ARCH_GET_XCOMP_SUPP = 0x1021;
export const ARCH_GET_XCOMP_PERM = 0x1022;
export const ARCH_REQ_XCOMP_PERM = 0x1023;
export const ARCH_GET_XCOMP_GUEST_PERM = 0x1024;
export const ARCH_REQ_XCOMP_GUEST_PERM = 0x1025;
export const ARCH_MAP_VDSO_X32 = 0x2001;
export const ARCH_MAP_VDSO_32 = 0x2002;
export const ARCH_MAP_VDSO_64 = 0x2003;
