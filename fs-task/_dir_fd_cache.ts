// Open host directories a confined walk (_confined_path.ts) has been through, kept for the
// next walks: Linux's dentry cache, for a host tree reached through directory fds.
//
//   const e = cache.peek(parentFd, name)           the entry for the name, unchecked
//   cache.take(e, stat)                            e, held, if the name still holds its directory
//   cache.add(parentFd, name, fd, stat)            an fd the walk just opened, now the cache's
//   cache.release(e)                               the walk is done with it
//
// Without it a walk opened, fstat'ed and closed every directory on the way: 3 host calls a
// component, 13 for a file four directories down. With it, each directory on the way costs
// the lstat that checks it: the cached fd is used only when the name holds, now, the very
// directory (device and inode) the fd is open on, so a walk through the cache finds what a
// walk that opened every name afresh would find, renames and replacements on the host
// included; an fd held open keeps its inode from being reused. Keys name the parent by its
// fd number; a number reused by another directory is caught by the same check.
//
// Entries are counted references: a walk holds each entry it went through until its
// result is released (an operation may still use the directory's fd), and an entry pushed
// out (least recently used first, past MAX_ENTRIES) or found stale is closed once no walk
// holds it. The fds count against the host's descriptor limit: a bounded number per root.

import { closeFd, type HostStat } from "./_host_stat.ts";

/** Directories kept open per confined root. */
const MAX_ENTRIES = 64;

export interface CachedDirectory {
  readonly fd: number;
  readonly dev: bigint;
  readonly ino: bigint;
  /** Walks that hold it. */
  refs: number;
  /** Its key while in the cache; null once pushed out or found stale. */
  key: string | null;
}

export class DirectoryFdCache {
  /** By key, least recently used first (a Map keeps insertion order). */
  readonly #entries = new Map<string, CachedDirectory>();

  /** The entry for `name` in the directory open as `parentFd`, not checked yet (take() checks it). */
  peek(parentFd: number, name: string): CachedDirectory | undefined {
    return this.#entries.get(`${parentFd}/${name}`);
  }

  /**
   * Entry `e` (from peek) given `stat`, what its name holds now (lstat; undefined:
   * nothing): held for the caller if that is still its directory, else undefined (the
   * stale entry goes).
   */
  take(e: CachedDirectory, stat: HostStat | undefined): CachedDirectory | undefined {
    const key = e.key!;
    this.#entries.delete(key);
    if (stat === undefined || !stat.isDirectory() || stat.ino !== e.ino || stat.dev !== e.dev) {
      this.#forget(e);
      return undefined;
    }
    this.#entries.set(key, e);
    e.refs++;
    return e;
  }

  /** Takes `fd`, a directory just opened as `name` in `parentFd` with `stat`; held for the caller. */
  add(parentFd: number, name: string, fd: number, stat: HostStat): CachedDirectory {
    const key = `${parentFd}/${name}`;
    const old = this.#entries.get(key);
    if (old !== undefined) {
      this.#entries.delete(key);
      this.#forget(old);
    }
    const e: CachedDirectory = { fd, dev: stat.dev, ino: stat.ino, refs: 1, key };
    this.#entries.set(key, e);
    for (const lru of this.#entries.values()) {
      if (this.#entries.size <= MAX_ENTRIES) break;
      this.#entries.delete(lru.key!);
      this.#forget(lru);
    }
    return e;
  }

  release(e: CachedDirectory): void {
    if (--e.refs === 0 && e.key === null) closeFd(e.fd);
  }

  /** Closes every entry no walk holds (the others close when released). */
  clear(): void {
    for (const e of this.#entries.values()) this.#forget(e);
    this.#entries.clear();
  }

  #forget(e: CachedDirectory): void {
    e.key = null;
    if (e.refs === 0) closeFd(e.fd);
  }
}
