// The names AF_UNIX sockets are bound to, one table per user kernel. Linux:
// net/unix/af_unix.c (unix_bind_bsd, unix_bind_abstract, unix_autobind, unix_find_other).
//
//   path name   bind makes an S_IFSOCK node through the VFS (mknod on whatever mount the
//               path reaches; EADDRINUSE when the name exists). The socket is found again by
//               the node's identity, its file system's back end and inode number, as Linux
//               finds it by inode: a rename or a hard link of the node still reaches it, a
//               path naming another node does not. connect needs write access to the node.
//   abstract    sun_path starting with a NUL: a name in this table only, gone with the socket;
//               one per socket type (Linux hashes the type in: a stream and a datagram socket
//               may hold the same name, and a connect of the other type finds none).
//   autobind    bind with only the family, or a socket that must have a name (SO_PASSCRED):
//               an abstract name of five hex digits.
//
// A node on a host volume is only a marker: the socket lives in this kernel-task, so a host
// process connecting to it finds no listener (ECONNREFUSED), and a host program's socket
// there is not one of ours (ECONNREFUSED from the guest).

import { bytesToString } from "../linux-abi/_byte_string.ts";
import * as E from "../linux-abi/errno.ts";
import { AT_FDCWD, W_OK } from "../linux-abi/fcntl.ts";
import { AF_UNIX, SIZEOF_SA_FAMILY, SIZEOF_SOCKADDR_UN } from "../linux-abi/socket.ts";
import { S_IFMT, S_IFSOCK } from "../linux-abi/stat.ts";
import { CROSS_MOUNT, type FileSystem } from "../fs-task/file_system.ts";
import { MAY_WRITE, mayCreate, permission } from "./permission.ts";
import type { Thread } from "./process.ts";
import { lookupAt } from "./sys/_path.ts";
import type { Vfs } from "./vfs.ts";

/** Where a bound socket is registered. */
export type UnixBinding = { kind: "path"; fs: FileSystem; ino: number } | { kind: "abstract"; key: string };

/** A parsed sockaddr_un: a path (byte string) or an abstract name (the bytes after the family, as a byte string). */
export type UnixName = { kind: "path"; path: string } | { kind: "abstract"; key: string };

function abstractKey(type: number, name: string): string {
  return `${type}:${name}`;
}

/** What the table holds: any object standing for a bound socket. */
export interface UnixNamed {
  readonly type: number;
}

const AUTOBIND_NAMES = 0x100000;

/**
 * A sockaddr_un's name (unix_validate_addr, unix_mkname_bsd): EINVAL for a length that holds
 * no name or exceeds the structure, or another family.
 */
export function parseUnixAddress(addr: Uint8Array): UnixName | number {
  if (addr.length <= SIZEOF_SA_FAMILY || addr.length > SIZEOF_SOCKADDR_UN) return -E.EINVAL;
  if ((addr[0]! | (addr[1]! << 8)) !== AF_UNIX) return -E.EINVAL;
  const name = addr.subarray(SIZEOF_SA_FAMILY);
  if (name[0] === 0) return { kind: "abstract", key: bytesToString(name) };
  const end = name.indexOf(0);
  return { kind: "path", path: bytesToString(end < 0 ? name : name.subarray(0, end)) };
}

/** The address getsockname reports for a name: a path with its NUL, an abstract name as given. */
export function unixAddress(name: UnixName): Uint8Array {
  const text = name.kind === "path" ? name.path + "\0" : name.key;
  const out = new Uint8Array(SIZEOF_SA_FAMILY + text.length);
  out[0] = AF_UNIX;
  for (let i = 0; i < text.length; i++) out[SIZEOF_SA_FAMILY + i] = text.charCodeAt(i);
  return out;
}

/** An unbound socket's address: the family alone. */
export const UNNAMED = Uint8Array.of(AF_UNIX, 0);

export class UnixNames<S extends UnixNamed> {
  readonly #abstract = new Map<string, S>();
  // By back end, then inode (as NamedPipes: not by st_dev, which two mounts may share).
  readonly #nodes = new Map<FileSystem, Map<number, S>>();
  #nextIno = 1;

  constructor(readonly vfs: Vfs) {}

  /** A fresh socket inode number (sockfs's). */
  nextIno(): number {
    return this.#nextIno++;
  }

  /** Binds `s` to `name`: its binding, or -errno (EADDRINUSE when taken). */
  bind(t: Thread, name: UnixName, s: S): UnixBinding | number {
    if (name.kind === "abstract") {
      const key = abstractKey(s.type, name.key);
      if (this.#abstract.has(key)) return -E.EADDRINUSE;
      this.#abstract.set(key, s);
      return { kind: "abstract", key };
    }
    // The node's permissions: the socket inode's 0777 less the umask (unix_bind_bsd).
    const mode = S_IFSOCK | (0o777 & ~t.process.umask);
    const lk = lookupAt(this, t, AT_FDCWD, name.path, "parent");
    if (typeof lk === "number") return lk;
    const w = lk.found;
    if (w !== null && w.st !== null) return -E.EADDRINUSE;
    const denied = w === null || w.dir === null ? 0 : mayCreate(t.creds, w.dir);
    if (denied < 0) return denied;
    const made = this.vfs.call(lk.path, (fs, inner, mount) => {
      const r = fs.mknod ? fs.mknod(inner, mode, 0) : -E.EPERM;
      if (r < 0) return r === -E.EEXIST ? -E.EADDRINUSE : r;
      const st = fs.stat(inner, false);
      return typeof st === "number" ? (st === CROSS_MOUNT ? -E.ENOENT : st) : { fs: mount.fs, ino: st.ino };
    });
    if (typeof made === "number") return made;
    let inodes = this.#nodes.get(made.fs);
    if (!inodes) this.#nodes.set(made.fs, (inodes = new Map()));
    inodes.set(made.ino, s);
    return { kind: "path", fs: made.fs, ino: made.ino };
  }

  /** An abstract name of five hex digits for `s` (unix_autobind), or -ENOSPC when all are taken. */
  autobind(s: S): { name: UnixName; binding: UnixBinding } | number {
    const start = Math.floor(Math.random() * AUTOBIND_NAMES);
    for (let i = 0; i < AUTOBIND_NAMES; i++) {
      const name = "\0" + ((start + i) % AUTOBIND_NAMES).toString(16).padStart(5, "0");
      const key = abstractKey(s.type, name);
      if (this.#abstract.has(key)) continue;
      this.#abstract.set(key, s);
      return { name: { kind: "abstract", key: name }, binding: { kind: "abstract", key } };
    }
    return -E.ENOSPC;
  }

  /** The socket is gone: its name is free (a path's node stays, as on Linux). */
  unbind(b: UnixBinding, s: S): void {
    if (b.kind === "abstract") {
      if (this.#abstract.get(b.key) === s) this.#abstract.delete(b.key);
      return;
    }
    const inodes = this.#nodes.get(b.fs);
    if (inodes?.get(b.ino) !== s) return;
    inodes.delete(b.ino);
    if (inodes.size === 0) this.#nodes.delete(b.fs);
  }

  /**
   * The socket of `type` bound to `name` (unix_find_other): ECONNREFUSED when none is; for
   * a path, the walk's errors, EACCES without write access, ECONNREFUSED for a node that is
   * not a socket, EPROTOTYPE for a socket of another type.
   */
  lookup(t: Thread, name: UnixName, type: number): S | number {
    let s: S | undefined;
    if (name.kind === "abstract") {
      s = this.#abstract.get(abstractKey(type, name.key));
      return s ?? -E.ECONNREFUSED;
    } else {
      const lk = lookupAt(this, t, AT_FDCWD, name.path, "follow");
      if (typeof lk === "number") return lk;
      const w = lk.found;
      if (w !== null && w.st === null) return -E.ENOENT;
      if (w !== null && permission(t.creds, w.st!, MAY_WRITE) < 0) return -E.EACCES;
      const node = this.vfs.call(lk.path, (fs, inner, mount) => {
        const st = fs.stat(inner, true);
        if (typeof st === "number") return st;
        const ok = fs.access(inner, W_OK);
        return ok < 0 ? ok : { fs: mount.fs, ino: st.ino, mode: st.mode };
      });
      if (typeof node === "number") return node;
      if ((node.mode & S_IFMT) !== S_IFSOCK) return -E.ECONNREFUSED;
      s = this.#nodes.get(node.fs)?.get(node.ino);
    }
    if (s === undefined) return -E.ECONNREFUSED;
    return s.type === type ? s : -E.EPROTOTYPE;
  }
}
