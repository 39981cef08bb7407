// The UTS names of a user kernel (Linux: kernel/utsname.c, kernel/utsname_sysctl.c): the
// host name and the NIS domain name, which sethostname(2) and setdomainname(2) change
// (sys/sys_uts.ts) and uname(2) and /proc/sys/kernel/{hostname,domainname} report. Each
// user kernel has its own, as a UTS namespace would: nothing reaches the host's.

import { __NEW_UTS_LEN } from "../linux-abi/utsname.ts";

export { __NEW_UTS_LEN };

export class UtsNames {
  /** Byte strings of at most __NEW_UTS_LEN bytes, up to the first NUL. */
  hostname: string;
  domainname = "(none)";

  constructor(hostname: string) {
    this.hostname = hostname.slice(0, __NEW_UTS_LEN);
  }
}
