// Linux: include/uapi/linux/utsname.h (struct new_utsname, what uname(2) fills on x86-64).

export const __NEW_UTS_LEN = 64;
const FIELD = __NEW_UTS_LEN + 1;

/** Each field a byte string (linux-abi/_byte_string.ts): the names are bytes, as the kernel keeps them. */
export interface NewUtsname {
  sysname: string;
  nodename: string;
  release: string;
  version: string;
  machine: string;
  domainname: string;
}
export const SIZEOF_NEW_UTSNAME = 6 * FIELD;
export const NEW_UTSNAME_FIELDS = {
  sysname: 0,
  nodename: FIELD,
  release: 2 * FIELD,
  version: 3 * FIELD,
  machine: 4 * FIELD,
  domainname: 5 * FIELD,
} as const;

/** Write the six NUL-padded fields (390 bytes); longer strings are cut to 64 bytes. */
export function encodeNewUtsname(view: DataView, offset: number, u: NewUtsname): void {
  for (const key of Object.keys(NEW_UTSNAME_FIELDS) as (keyof NewUtsname)[]) {
    const s = u[key], at = offset + NEW_UTSNAME_FIELDS[key];
    for (let i = 0; i < FIELD; i++) view.setUint8(at + i, i < s.length && i < __NEW_UTS_LEN ? s.charCodeAt(i) : 0);
  }
}
