// The key service in /proc (Linux: security/keys/proc.c, sysctl.c): /proc/keys lists the keys
// the reader may view, /proc/key-users each user's counts and quotas, and
// /proc/sys/kernel/keys holds the quotas root may change.

import { KEY_NEED_VIEW } from "../../linux-abi/keyctl.ts";
import type { Thread } from "../process.ts";
import { intSysctl, type Sysctl } from "../procfs_sys.ts";
import { keyPermission, type Key } from "./key.ts";
import type { KeyTable } from "./key_table.ts";

const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, "0");

/** The timeout column: perm, expd, or what is left in s, m, h, d or w. */
function timeout(key: Key, now: number): string {
  if (key.expiry === 0) return "perm";
  const left = Math.floor((key.expiry - now) / 1000);
  if (left <= 0) return "expd";
  if (left < 60) return `${left}s`;
  if (left < 3600) return `${Math.floor(left / 60)}m`;
  if (left < 86400) return `${Math.floor(left / 3600)}h`;
  if (left < 7 * 86400) return `${Math.floor(left / 86400)}d`;
  return `${Math.floor(left / (7 * 86400))}w`;
}

/** proc_keys_show, one line per key the reader may view (with its possession). */
export function procKeysText(keys: KeyTable, reader: Thread | null): string {
  if (!reader) return "";
  const now = performance.now();
  const lines: string[] = [];
  for (const key of [...keys.keys].sort((a, b) => a.serial - b.serial)) {
    if (!keyPermission(key, reader.creds, keys.possesses(reader, key), KEY_NEED_VIEW)) continue;
    const flags = `I${key.revoked ? "R" : "-"}-${key.inQuota ? "Q" : "-"}-${key.rejection < 0 ? "N" : "-"}${key.invalidated ? "i" : "-"}`;
    let what = key.description;
    if (key.rejection === 0) what += key.links ? (key.links.length ? `: ${key.links.length}` : ": empty") : `: ${key.payload.length}`;
    lines.push(`${hex8(key.serial)} ${flags} ${String(key.refs).padStart(5)} ${timeout(key, now).padStart(4)} ${hex8(key.perm)} ${String(key.uid).padStart(5)} ${String(key.gid | 0).padStart(5)} ${key.type.name.padEnd(9)} ${what}\n`);
  }
  return lines.join("");
}

/** proc_key_users_show: uid, usage, keys/instantiated keys, and the quota's use against its limits. */
export function procKeyUsersText(keys: KeyTable): string {
  const lines: string[] = [];
  for (const u of [...keys.users].sort((a, b) => a.uid - b.uid)) {
    const q = keys.quotaOf(u.uid);
    lines.push(`${String(u.uid).padStart(5)}: ${String(u.nkeys).padStart(5)} ${u.nkeys}/${u.nikeys} ${u.qnkeys}/${q.keys} ${u.qnbytes}/${q.bytes}\n`);
  }
  return lines.join("");
}

/** /proc/sys/kernel/keys. */
export function keySysctls(keys: KeyTable): Sysctl[] {
  const l = keys.limits;
  return [
    intSysctl("kernel/keys/maxkeys", () => l.maxkeys, (n) => (l.maxkeys = n), 1),
    intSysctl("kernel/keys/maxbytes", () => l.maxbytes, (n) => (l.maxbytes = n), 1),
    intSysctl("kernel/keys/root_maxkeys", () => l.rootMaxkeys, (n) => (l.rootMaxkeys = n), 1),
    intSysctl("kernel/keys/root_maxbytes", () => l.rootMaxbytes, (n) => (l.rootMaxbytes = n), 1),
    intSysctl("kernel/keys/gc_delay", () => l.gcDelay, (n) => (l.gcDelay = n)),
    intSysctl("kernel/keys/persistent_keyring_expiry", () => l.persistentExpiry, (n) => (l.persistentExpiry = n)),
  ];
}
