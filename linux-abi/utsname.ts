// Linux: include/uapi/linux/utsname.h (struct new_utsname, what uname(2) fills on x86-64).

import { writeCString } from "./_cstring.ts";

export const __NEW_UTS_LEN = 64;
const FIELD = __NEW_UTS_LEN + 1;

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
  const f = NEW_UTSNAME_FIELDS;
  writeCString(view, offset + f.sysname, u.sysname, FIELD);
  writeCString(view, offset + f.nodename, u.nodename, FIELD);
  writeCString(view, offset + f.release, u.release, FIELD);
  writeCString(view, offset + f.version, u.version, FIELD);
  writeCString(view, offset + f.machine, u.machine, FIELD);
  writeCString(view, offset + f.domainname, u.domainname, FIELD);
}
