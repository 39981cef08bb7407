// Confined path resolution for HostFs: the walk of _tree_walk.ts over a host directory,
// so that no path can name a host file outside the root.
//
//   resolveInRoot(root, "/a/../b/link", followLast, view) → { hostPath, stat, isRoot } or -errno
//
// Each component is looked up with lstat and each symlink read from the host, then pushed
// back into the walk (absolute targets restart at root, ".." stops at root: the rules are
// _tree_walk.ts's). The last component may be missing: then stat is null and hostPath is
// where it would be created, under a parent that exists. Callers open the result with
// O_NOFOLLOW so that a host process swapping a symlink in after the walk cannot redirect
// the open.

import fs from "node:fs";
import path from "node:path";
import { walkTree, type MountView, type Tree } from "./_tree_walk.ts";

export interface Resolved {
  hostPath: string;
  /** lstat of hostPath, or null if the last component does not exist. */
  stat: fs.Stats | null;
  /** hostPath is the root itself. */
  isRoot: boolean;
  /** The canonical guest path below the root ("/" for the root). */
  guestPath: string;
}

interface HostNode {
  hostPath: string;
  stat: fs.Stats;
}

function hostTree(root: string): Tree<HostNode> {
  return {
    root: { hostPath: root, stat: fs.lstatSync(root) },
    isDir: (n) => n.stat.isDirectory(),
    child(dir, name) {
      const hostPath = path.join(dir.hostPath, name);
      const stat = fs.lstatSync(hostPath, { throwIfNoEntry: false });
      return stat === undefined ? undefined : { hostPath, stat };
    },
    linkTarget: (n) => (n.stat.isSymbolicLink() ? fs.readlinkSync(n.hostPath) : null),
  };
}

/** Resolves `guestPath` inside `root`, an absolute host path without symlinks (see realpath). */
export function resolveInRoot(root: string, guestPath: string, followLast: boolean, view?: MountView, arg = 0): Resolved | number {
  const w = walkTree(hostTree(root), guestPath, followLast, view, arg);
  if (typeof w === "number") return w;
  const names = w.name === "." ? w.dirNames : [...w.dirNames, w.name];
  const rel = names.join("/");
  return {
    hostPath: rel === "" ? root : path.join(root, rel),
    stat: w.node === null ? null : w.node.stat,
    isRoot: rel === "",
    guestPath: "/" + rel,
  };
}
