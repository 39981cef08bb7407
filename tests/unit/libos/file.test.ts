import { describe, expect, it } from "vitest";
import { FD_LIMIT, FdTable, OpenFile, type FileOps } from "../../../libos/file.ts";

/** A file whose release() calls are counted. */
function tracked(path = "/f"): { file: OpenFile; releases: () => number } {
  let released = 0;
  const ops: FileOps = {
    path,
    seekable: true,
    read: () => 0,
    write: (src) => src.length,
    stat: () => -38,
    readdir: () => -20,
    truncate: () => 0,
    ioctl: () => -25,
    poll: () => 5,
    readiness: null,
    release: () => void released++,
  };
  return { file: new OpenFile(ops, 2), releases: () => released };
}

describe("OpenFile", () => {
  it("OpenFile releases its backing object when the last reference goes", () => {
    const t = tracked();
    expect(t.file.ref()).toBe(t.file);
    t.file.unref();
    expect(t.releases()).toBe(0);
    t.file.unref();
    expect(t.releases()).toBe(1);
  });
});

describe("FdTable", () => {
  it("install() takes the lowest free descriptor", () => {
    const fds = new FdTable();
    const a = tracked(), b = tracked(), c = tracked(), d = tracked();
    expect(fds.install(a.file, false)).toBe(0);
    expect(fds.install(b.file, false)).toBe(1);
    expect(fds.install(c.file, false)).toBe(2);
    expect(fds.close(1)).toBe(true);
    expect(fds.install(d.file, false)).toBe(1);
    expect(fds.get(1)).toBe(d.file);
  });

  it("install() honours a minimum descriptor (F_DUPFD)", () => {
    const fds = new FdTable();
    fds.install(tracked().file, false);
    expect(fds.install(tracked().file, false, 10)).toBe(10);
    expect(fds.install(tracked().file, false, 10)).toBe(11);
    expect(fds.install(tracked().file, false)).toBe(1);
  });

  it("install() returns -EMFILE at the limit and drops the reference it was given", () => {
    const fds = new FdTable();
    for (let i = 0; i < FD_LIMIT; i++) expect(fds.install(tracked().file, false)).toBe(i);
    const extra = tracked();
    expect(fds.install(extra.file, false)).toBe(-24);
    expect(extra.releases()).toBe(1);
    const high = tracked();
    const fresh = new FdTable();
    expect(fresh.install(high.file, false, FD_LIMIT)).toBe(-24);
    expect(high.releases()).toBe(1);
  });

  it("installAt() replaces a descriptor and releases the old description exactly once", () => {
    const fds = new FdTable();
    const old = tracked(), next = tracked();
    fds.install(old.file, false);
    fds.installAt(0, next.file, true);
    expect(old.releases()).toBe(1);
    expect(fds.get(0)).toBe(next.file);
    expect(fds.cloexec(0)).toBe(true);
    fds.close(0);
    expect(old.releases()).toBe(1);
    expect(next.releases()).toBe(1);
  });

  it("installAt() onto a free slot releases nothing", () => {
    const fds = new FdTable();
    const f = tracked();
    fds.installAt(5, f.file, false);
    expect(fds.get(5)).toBe(f.file);
    expect([...fds.entries()].map(([fd]) => fd)).toEqual([5]);
    expect(fds.install(tracked().file, false)).toBe(0);
  });

  it("installAt() of a descriptor onto itself keeps the description alive (dup2(fd, fd))", () => {
    const fds = new FdTable();
    const f = tracked();
    fds.install(f.file, false);
    fds.installAt(0, f.file.ref(), false);
    expect(f.releases()).toBe(0);
    fds.close(0);
    expect(f.releases()).toBe(1);
  });

  it("install() of a dup shares one description, released once after both close", () => {
    const fds = new FdTable();
    const f = tracked();
    const a = fds.install(f.file, false);
    const b = fds.install(f.file.ref(), false);
    expect(fds.get(a)).toBe(fds.get(b));
    fds.get(a)!.offset = 42;
    expect(fds.get(b)!.offset).toBe(42);
    fds.close(a);
    expect(f.releases()).toBe(0);
    fds.close(b);
    expect(f.releases()).toBe(1);
  });

  it("cloexec() belongs to the descriptor slot, not the description", () => {
    const fds = new FdTable();
    const f = tracked();
    const a = fds.install(f.file, true);
    const b = fds.install(f.file.ref(), false);
    expect(fds.cloexec(a)).toBe(true);
    expect(fds.cloexec(b)).toBe(false);
    fds.setCloexec(b, true);
    fds.setCloexec(a, false);
    expect(fds.cloexec(a)).toBe(false);
    expect(fds.cloexec(b)).toBe(true);
    fds.setCloexec(99, true);
    expect(fds.cloexec(99)).toBe(false);
  });

  it("close() of a free or negative descriptor returns false", () => {
    const fds = new FdTable();
    expect(fds.close(0)).toBe(false);
    expect(fds.close(-1)).toBe(false);
    expect(fds.get(-1)).toBeNull();
    const f = tracked();
    fds.install(f.file, false);
    expect(fds.close(0)).toBe(true);
    expect(fds.close(0)).toBe(false);
    expect(f.releases()).toBe(1);
  });

  it("closeAll() releases every description once", () => {
    const fds = new FdTable();
    const a = tracked(), b = tracked();
    fds.install(a.file, false);
    fds.install(b.file, false);
    fds.install(b.file.ref(), false);
    fds.closeAll();
    expect([a.releases(), b.releases()]).toEqual([1, 1]);
    expect([...fds.entries()]).toEqual([]);
  });
});
