// TreeFileSystem: the FileSystem methods that are the same for every back end over a tree
// of nodes in this process (TmpFs, InitFs, DevFs), answered from its TreeWalker and its
// handles:
//   where it is mounted   setMountPoint, setMountView, crossing, realpath
//   extended attributes   getxattr … fremovexattr, by path or handle, on each node's
//                         XattrSet (_xattrs.ts), made on its first change and charged to
//                         xattrQuota(); a back end without a quota keeps none: a read
//                         finds none (ENODATA, an empty list) and a change is EROFS, as
//                         on a read-only squashfs whose files have none

import { NO_HANDLE, type FsCrossing } from "./file_system.ts";
import type { MemoryQuota } from "./_paged_bytes.ts";
import type { TreeWalker } from "./_tree_walk.ts";
import { realtimeNs } from "./_clock.ts";
import { xattrNameError, XattrSet } from "./_xattrs.ts";
import { EBADF, EINVAL, ENODATA, EROFS } from "./_errno.ts";
import { O_PATH } from "./_flags.ts";

/** What a tree back end's node must have for the methods here. */
export interface TreeNode {
  /** S_IFMT type and permission bits. */
  mode: number;
  ctimeNs?: bigint;
  /** Its extended attributes, once it has had one. */
  xattrs?: XattrSet;
}

/** An open handle of a tree back end. */
export interface TreeHandle<N> {
  node: N;
  /** The open flags. */
  flags: number;
}

export abstract class TreeFileSystem<N extends TreeNode> {
  protected abstract readonly paths: TreeWalker<N>;

  /** The open handle `handle`, if it is open. */
  protected abstract handleOf(handle: number): TreeHandle<N> | undefined;

  /** Where extended attributes are charged; null for a back end that keeps none. */
  protected xattrQuota(): MemoryQuota | null {
    return null;
  }

  setMountPoint(atRoot: boolean, covered: string): number {
    return this.paths.view.set(atRoot, covered);
  }

  setMountView(view: number, rootHandle: number, atRoot: boolean, covered: string): number {
    const root = rootHandle === NO_HANDLE ? null : this.handleOf(rootHandle)?.node;
    return root === undefined ? -EINVAL : this.paths.view.setView(view, root, atRoot, covered);
  }

  crossing(): FsCrossing | number {
    return this.paths.view.crossing();
  }

  realpath(path: string): string | number {
    return this.paths.realpath(path);
  }

  getxattr(path: string, follow: boolean, name: string, dst: Uint8Array): number {
    return this.#onPath(path, follow, (node) => this.#get(node, name, dst));
  }

  fgetxattr(handle: number, name: string, dst: Uint8Array): number {
    return this.#onHandle(handle, (node) => this.#get(node, name, dst));
  }

  listxattr(path: string, follow: boolean, dst: Uint8Array): number {
    return this.#onPath(path, follow, (node) => node.xattrs?.list(dst) ?? 0);
  }

  flistxattr(handle: number, dst: Uint8Array): number {
    return this.#onHandle(handle, (node) => node.xattrs?.list(dst) ?? 0);
  }

  setxattr(path: string, follow: boolean, name: string, value: Uint8Array, flags: number): number {
    return this.#onPath(path, follow, (node) => this.#change(node, name, value, flags));
  }

  fsetxattr(handle: number, name: string, value: Uint8Array, flags: number): number {
    return this.#onHandle(handle, (node) => this.#change(node, name, value, flags));
  }

  removexattr(path: string, follow: boolean, name: string): number {
    return this.#onPath(path, follow, (node) => this.#change(node, name, null, 0));
  }

  fremovexattr(handle: number, name: string): number {
    return this.#onHandle(handle, (node) => this.#change(node, name, null, 0));
  }

  #onPath(path: string, follow: boolean, op: (node: N) => number): number {
    const node = this.paths.lookup(path, follow);
    return typeof node === "number" ? node : op(node);
  }

  #onHandle(handle: number, op: (node: N) => number): number {
    const h = this.handleOf(handle);
    return h === undefined || h.flags & O_PATH ? -EBADF : op(h.node);
  }

  #get(node: N, name: string, dst: Uint8Array): number {
    const bad = xattrNameError(name, node.mode, false);
    if (bad < 0) return bad;
    return node.xattrs?.get(name, dst) ?? -ENODATA;
  }

  /** Sets `name` to `value`, or removes it (`value` null). */
  #change(node: N, name: string, value: Uint8Array | null, flags: number): number {
    const quota = this.xattrQuota();
    if (quota === null) return -EROFS;
    const bad = xattrNameError(name, node.mode, true);
    if (bad < 0) return bad;
    if (value === null && node.xattrs === undefined) return -ENODATA;
    const set = (node.xattrs ??= new XattrSet());
    const r = value === null ? set.remove(name, quota) : set.set(name, value, flags, quota);
    if (r === 0) node.ctimeNs = realtimeNs();
    return r;
  }
}
