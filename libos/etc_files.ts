// The guest's /etc/resolv.conf and /etc/hosts, made for each launch from its network, as a
// container runtime makes them: files of a small tmpfs mounted over those paths (so the
// guest may edit them, and /proc/mounts shows where they come from).
//
//   resolv.conf  --net user: the gateway's DNS (10.0.2.3, which answers from the host's
//                resolver); --net tap: the host's own nameservers, except those on its
//                loopback (the guest cannot reach the host's 127.0.0.1 over a TAP); none
//                for lo only (a resolver then tries 127.0.0.1, where a guest may serve)
//   hosts        localhost, and the guest's hostname at its external address
//
// On the project's root image both are always made (the image's are defaults, as an
// image's are under a container runtime); a root of the user's own (--root DIR) keeps the
// files it has, and gets ours only where it has none.

import { readFileSync } from "node:fs";
import { type FileSystem } from "../fs-task/file_system.ts";
import { EIO } from "../linux-abi/errno.ts";
import { O_CREAT, O_WRONLY } from "../linux-abi/fcntl.ts";
import { S_IFDIR, S_IFMT } from "../linux-abi/stat.ts";
import { formatIpv4, type ExternalNetInfo } from "../net-task/mod.ts";
import { type Vfs } from "./vfs.ts";

/** The text of /etc/resolv.conf for a guest whose external device is `external`. */
export function resolvConfText(external: ExternalNetInfo | null, hostResolvConf: string | null): string {
  if (external === null) return "# lo only (--net loopback): no name server beyond the guest's own\n";
  if (external.guest.dns.length > 0) return external.guest.dns.map((a) => `nameserver ${formatIpv4(a)}\n`).join("");
  const host = (hostResolvConf ?? "").split("\n").filter((line) => {
    const server = /^\s*nameserver\s+(\S+)/.exec(line)?.[1];
    return server !== undefined && !/^(127\.|::1$|0\.0\.0\.0$)/.test(server);
  });
  return host.length > 0 ? host.map((line) => line.trim() + "\n").join("") : "# no name server: the host's are on its loopback\n";
}

/** The text of /etc/hosts: localhost, and `hostname` at the guest's external address. */
export function hostsText(hostname: string, external: ExternalNetInfo | null): string {
  const own = external === null ? "" : `${formatIpv4(external.guest.address)}\t${hostname}\n`;
  return `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${own}`;
}

export function hostResolvConf(): string | null {
  try {
    return readFileSync("/etc/resolv.conf", "utf8");
  } catch {
    return null;
  }
}

/**
 * Writes `files` (name → text) into `fs` (an empty tmpfs) and mounts each at /etc/NAME,
 * except where `keepRoots` and the root has the file already. Nothing is mounted without
 * an /etc directory. Returns the number of files mounted, or a negative errno.
 */
export async function mountEtcFiles(vfs: Vfs, fs: FileSystem, files: ReadonlyMap<string, string>, keepRoots: boolean): Promise<number> {
  const etc = vfs.call("/etc", (f, inner) => f.stat(inner, true));
  if (typeof etc === "number" || (etc.mode & S_IFMT) !== S_IFDIR) return 0;
  const parts: { at: string; inner: string }[] = [];
  for (const [name, text] of files) {
    if (keepRoots && typeof vfs.call(`/etc/${name}`, (f, inner) => f.stat(inner, false)) !== "number") continue;
    const handle = await fs.open(`/${name}`, O_CREAT | O_WRONLY, 0o644);
    if (handle < 0) return handle;
    const bytes = new TextEncoder().encode(text);
    const wrote = await fs.pwrite(handle, bytes, 0);
    fs.close(handle);
    if (wrote !== bytes.length) return wrote < 0 ? wrote : -EIO;
    parts.push({ at: `/etc/${name}`, inner: `/${name}` });
  }
  if (parts.length === 0) return 0;
  const mounted = vfs.mountParts(fs, { source: "tmpfs", type: "tmpfs", readOnly: false }, parts);
  return typeof mounted === "number" ? mounted : mounted.length;
}
