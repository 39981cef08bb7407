// Writing initfs images (the format is described in initfs.ts).
//
//   treeFromHostDir(dir) ─┐
//   defaultRootTree()  ───┼─► InitFsDir (an in-memory tree) ─► encodeInitFs ─► image bytes
//   overlayTree(a, b)  ───┘                                     writeInitFsImage ─► file
//
// A tree is plain objects. The same file or symlink object under two names is one inode
// with two hard links; a directory may appear only once. Regular files give their bytes,
// or a host path read when the image is encoded. Everything is owned by uid 0, gid 0.
//
// defaultRootTree() is the guest's standard root: busybox with a link per applet (as
// `busybox --install` makes them), a small /etc, the usual empty directories and the
// sample programs under /opt/samples. scripts/build-initfs.mjs is the command line.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {
  DIRENT_SIZE, HEADER_SIZE, INODE_SIZE, MAGIC, ROOT_INO, VERSION, dirent, header, inode,
} from "./_initfs_format.ts";
import { NAME_MAX } from "./_tree_walk.ts";
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from "../linux-abi/stat.ts";

export interface InitFsDir {
  type: "dir";
  /** st_mode, S_IFDIR included. */
  mode: number;
  mtimeNs: bigint;
  entries: Map<string, InitFsNode>;
}

export interface InitFsFile {
  type: "file";
  mode: number;
  mtimeNs: bigint;
  /** The bytes, or a host file to copy them from (it must still have `size` bytes then). */
  content: Uint8Array | { hostPath: string; size: number };
}

export interface InitFsSymlink {
  type: "symlink";
  mode: number;
  mtimeNs: bigint;
  target: string;
}

/** A FIFO, socket or device node. */
export interface InitFsSpecial {
  type: "special";
  mode: number;
  mtimeNs: bigint;
  rdev: number;
}

export type InitFsNode = InitFsDir | InitFsFile | InitFsSymlink | InitFsSpecial;

export interface DefaultRootOptions {
  /** Host busybox binary (statically linked); default /bin/busybox. */
  busybox?: string;
  /** Host directory whose executable files go to /opt/samples, subdirectories kept. */
  samplesDir?: string;
  /** Time stamped on everything not copied from the host; default now. */
  mtimeNs?: bigint;
}

export function emptyDir(mode: number, mtimeNs: bigint): InitFsDir {
  return { type: "dir", mode: S_IFDIR | (mode & 0o7777), mtimeNs, entries: new Map() };
}

/** Puts `node` at `relPath` ("a/b/c") under root, making missing directories 0755. */
export function addPath(root: InitFsDir, relPath: string, node: InitFsNode): void {
  const names = relPath.split("/").filter((n) => n !== "");
  const last = names.pop();
  if (last === undefined) throw new TypeError(`Cannot add to initfs tree: empty path "${relPath}"`);
  let dir = root;
  for (const name of names) {
    let next = dir.entries.get(name);
    if (next === undefined) {
      next = emptyDir(0o755, node.mtimeNs);
      dir.entries.set(name, next);
    }
    if (next.type !== "dir") throw new TypeError(`Cannot add to initfs tree: ${name} in ${relPath} is not a directory`);
    dir = next;
  }
  dir.entries.set(last, node);
}

/** The tree of a host directory: files, directories, symlinks, special nodes, hard links, modes, mtimes. */
export function treeFromHostDir(hostDir: string): InitFsDir {
  const seen = new Map<string, InitFsNode>();
  const visit = (hostPath: string): InitFsNode => {
    const st = fs.lstatSync(hostPath, { bigint: true });
    const mode = Number(st.mode);
    const key = `${st.dev}:${st.ino}`;
    const linked = st.isDirectory() ? undefined : seen.get(key);
    if (linked !== undefined) return linked;
    let node: InitFsNode;
    if (st.isDirectory()) {
      const dir: InitFsDir = { type: "dir", mode, mtimeNs: st.mtimeNs, entries: new Map() };
      for (const name of fs.readdirSync(hostPath).sort()) dir.entries.set(name, visit(path.join(hostPath, name)));
      return dir;
    } else if (st.isFile()) {
      node = { type: "file", mode, mtimeNs: st.mtimeNs, content: { hostPath, size: Number(st.size) } };
    } else if (st.isSymbolicLink()) {
      node = { type: "symlink", mode, mtimeNs: st.mtimeNs, target: fs.readlinkSync(hostPath) };
    } else {
      node = { type: "special", mode, mtimeNs: st.mtimeNs, rdev: Number(st.rdev) };
    }
    seen.set(key, node);
    return node;
  };
  const root = visit(hostDir);
  if (root.type !== "dir") throw new TypeError(`Cannot build initfs tree: ${hostDir} is not a directory`);
  return root;
}

/** `top` laid over `base` (which changes): directories merge, anything else in top replaces. */
export function overlayTree(base: InitFsDir, top: InitFsDir): InitFsDir {
  base.mode = top.mode;
  base.mtimeNs = top.mtimeNs;
  for (const [name, node] of top.entries) {
    const under = base.entries.get(name);
    base.entries.set(name, under?.type === "dir" && node.type === "dir" ? overlayTree(under, node) : node);
  }
  return base;
}

/** The guest's standard root file system. Runs `busybox --list-full` to learn the applets. */
export function defaultRootTree(options: DefaultRootOptions = {}): InitFsDir {
  const busybox = options.busybox ?? "/bin/busybox";
  const mtimeNs = options.mtimeNs ?? BigInt(Date.now()) * 1_000_000n;
  const root = emptyDir(0o755, mtimeNs);
  const dirs: [string, number][] = [
    ["bin", 0o755], ["sbin", 0o755], ["usr/bin", 0o755], ["usr/sbin", 0o755], ["etc", 0o755],
    ["tmp", 0o1777], ["root", 0o700], ["home", 0o755], ["proc", 0o555], ["dev", 0o755], ["sys", 0o555],
    ["mnt", 0o755], ["var", 0o755], ["run", 0o755], ["opt", 0o755],
  ];
  for (const [dir, mode] of dirs) addPath(root, dir, emptyDir(mode, mtimeNs));

  const size = fs.statSync(busybox).size;
  addPath(root, "bin/busybox", { type: "file", mode: S_IFREG | 0o755, mtimeNs, content: { hostPath: busybox, size } });
  const applets = execFileSync(busybox, ["--list-full"], { encoding: "utf8" }).split("\n");
  for (const applet of applets) {
    if (applet === "" || applet === "bin/busybox") continue;
    const target = path.posix.relative(path.posix.dirname(`/${applet}`), "/bin/busybox");
    addPath(root, applet, { type: "symlink", mode: S_IFLNK | 0o777, mtimeNs, target });
  }

  const etc: [string, string][] = [
    ["passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"],
    ["group", "root:x:0:\nnogroup:x:65534:\n"],
    ["hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"],
    ["resolv.conf", "nameserver 10.0.2.3\n"],
    ["hostname", "libos\n"],
  ];
  const utf8 = new TextEncoder();
  for (const [name, text] of etc) {
    addPath(root, `etc/${name}`, { type: "file", mode: S_IFREG | 0o644, mtimeNs, content: utf8.encode(text) });
  }

  if (options.samplesDir !== undefined) {
    for (const rel of executablesUnder(options.samplesDir)) {
      const hostPath = path.join(options.samplesDir, rel);
      const st = fs.statSync(hostPath, { bigint: true });
      addPath(root, `opt/samples/${rel}`, {
        type: "file", mode: S_IFREG | Number(st.mode & 0o7777n), mtimeNs: st.mtimeNs,
        content: { hostPath, size: Number(st.size) },
      });
    }
  }
  return root;
}

/** The image of `root`. Throws TypeError for an invalid tree, Error if a host file changed size. */
export function encodeInitFs(root: InitFsDir): Uint8Array {
  // Inode numbers in breadth-first order, the root first; a node met again is a hard link.
  const nodes: InitFsNode[] = [root];
  const inoOf = new Map<InitFsNode, number>([[root, ROOT_INO]]);
  const nlink: number[] = [2];
  const parentOf = new Map<InitFsDir, number>([[root, ROOT_INO]]);
  const listings: { dir: InitFsDir; names: string[] }[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const dir = nodes[i];
    if (dir.type !== "dir") continue;
    const names = [...dir.entries.keys()].sort();
    listings.push({ dir, names });
    for (const name of names) {
      checkName(name);
      const child = dir.entries.get(name) as InitFsNode;
      const known = inoOf.get(child);
      if (known !== undefined) {
        if (child.type === "dir") throw new TypeError(`Cannot build initfs image: directory "${name}" appears twice`);
        nlink[known - 1]++;
        continue;
      }
      nodes.push(child);
      inoOf.set(child, nodes.length);
      nlink.push(child.type === "dir" ? 2 : 1);
      if (child.type === "dir") {
        parentOf.set(child, i + 1);
        nlink[i]++;
      }
    }
  }

  const strings = new StringTable();
  const direntCount = listings.reduce((n, l) => n + l.names.length, 0);
  const firstEntry = new Map<InitFsDir, number>();
  const entryRecords: { ino: number; name: number; length: number }[] = [];
  for (const { dir, names } of listings) {
    firstEntry.set(dir, entryRecords.length);
    for (const name of names) {
      const [offset, length] = strings.add(name);
      entryRecords.push({ ino: inoOf.get(dir.entries.get(name) as InitFsNode) as number, name: offset, length });
    }
  }
  const targets = new Map<InitFsSymlink, [number, number]>();
  for (const node of nodes) if (node.type === "symlink") targets.set(node, strings.add(node.target));

  const fileData = new Map<InitFsFile, number>();
  let dataSize = 0;
  for (const node of nodes) {
    if (node.type !== "file") continue;
    fileData.set(node, dataSize);
    dataSize += align8(contentSize(node));
  }

  const inodeTable = HEADER_SIZE;
  const direntTable = inodeTable + nodes.length * INODE_SIZE;
  const stringTable = direntTable + direntCount * DIRENT_SIZE;
  const dataArea = align8(stringTable + strings.size);
  const image = new Uint8Array(dataArea + dataSize);
  const view = new DataView(image.buffer);
  const u32 = (at: number, value: number): void => view.setUint32(at, value, true);
  const u64 = (at: number, value: number): void => view.setBigUint64(at, BigInt(value), true);

  image.set(new TextEncoder().encode(MAGIC), header.MAGIC);
  u32(header.VERSION, VERSION);
  u32(header.INODE_COUNT, nodes.length);
  u32(header.INODE_TABLE, inodeTable);
  u32(header.DIRENT_COUNT, direntCount);
  u32(header.DIRENT_TABLE, direntTable);
  u32(header.STRINGS, stringTable);
  u32(header.STRINGS_SIZE, strings.size);
  u64(header.DATA, dataArea);
  u64(header.DATA_SIZE, dataSize);

  nodes.forEach((node, i) => {
    checkMode(node);
    const at = inodeTable + i * INODE_SIZE;
    u32(at + inode.MODE, node.mode);
    u32(at + inode.NLINK, nlink[i]);
    view.setBigInt64(at + inode.MTIME_NS, node.mtimeNs, true);
    switch (node.type) {
      case "dir":
        u64(at + inode.SIZE, node.entries.size);
        u64(at + inode.WHERE, firstEntry.get(node) as number);
        u32(at + inode.PARENT, parentOf.get(node) as number);
        break;
      case "file":
        u64(at + inode.SIZE, contentSize(node));
        u64(at + inode.WHERE, fileData.get(node) as number);
        copyContent(node, image.subarray(dataArea + (fileData.get(node) as number)));
        break;
      case "symlink": {
        const [offset, length] = targets.get(node) as [number, number];
        u64(at + inode.SIZE, length);
        u64(at + inode.WHERE, offset);
        break;
      }
      case "special":
        u32(at + inode.RDEV, node.rdev);
        break;
    }
  });
  entryRecords.forEach((e, i) => {
    const at = direntTable + i * DIRENT_SIZE;
    u32(at + dirent.INO, e.ino);
    u32(at + dirent.NAME, e.name);
    u32(at + dirent.NAME_LENGTH, e.length);
  });
  image.set(strings.bytes(), stringTable);
  return image;
}

/** Encodes `root` into a file, making its directory if needed. */
export function writeInitFsImage(outPath: string, root: InitFsDir): void {
  fs.mkdirSync(path.dirname(outPath), { recursive: true });
  fs.writeFileSync(outPath, encodeInitFs(root));
}

/** UTF-8 strings laid end to end, each stored once. */
class StringTable {
  #chunks: Uint8Array[] = [];
  #offsets = new Map<string, [number, number]>();
  #encoder = new TextEncoder();
  size = 0;

  /** [offset, byte length] of `text` in the table. */
  add(text: string): [number, number] {
    const known = this.#offsets.get(text);
    if (known !== undefined) return known;
    const bytes = this.#encoder.encode(text);
    const entry: [number, number] = [this.size, bytes.length];
    this.#offsets.set(text, entry);
    this.#chunks.push(bytes);
    this.size += bytes.length;
    return entry;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}

function contentSize(file: InitFsFile): number {
  return file.content instanceof Uint8Array ? file.content.length : file.content.size;
}

function copyContent(file: InitFsFile, dst: Uint8Array): void {
  const content = file.content;
  if (content instanceof Uint8Array) {
    dst.set(content);
    return;
  }
  const fd = fs.openSync(content.hostPath, "r");
  try {
    let done = 0;
    while (done < content.size) {
      const n = fs.readSync(fd, dst, done, content.size - done, done);
      if (n === 0) break;
      done += n;
    }
    if (done !== content.size || fs.fstatSync(fd).size !== content.size) {
      throw new Error(`Cannot build initfs image: ${content.hostPath} changed size while being read`);
    }
  } finally {
    fs.closeSync(fd);
  }
}

function checkName(name: string): void {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0") || Buffer.byteLength(name) > NAME_MAX) {
    throw new TypeError(`Cannot build initfs image: bad name "${name}"`);
  }
}

function checkMode(node: InitFsNode): void {
  const type = node.mode & S_IFMT;
  const expected = node.type === "dir" ? S_IFDIR : node.type === "file" ? S_IFREG : node.type === "symlink" ? S_IFLNK : type;
  if (type !== expected || (node.type === "special" && (type === S_IFDIR || type === S_IFREG || type === S_IFLNK))) {
    throw new TypeError(`Cannot build initfs image: mode 0o${node.mode.toString(8)} does not fit a ${node.type}`);
  }
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** Paths (relative to dir) of the regular files with an execute bit, at any depth. */
function executablesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    if (fs.statSync(full).mode & 0o111) out.push(path.relative(dir, full));
  }
  return out.sort();
}
