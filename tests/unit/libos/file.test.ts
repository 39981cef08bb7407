import { describe, expect, it } from "vitest";
import { FdTable, OpenFile, type FileOps } from "../../../libos/file.ts";

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
    for (let i = 0; i < fds.limit; i++) expect(fds.install(tracked().file, false)).toBe(i);
    const extra = tracked();
    expect(fds.install(extra.file, false)).toBe(-24);
    expect(extra.releases()).toBe(1);
    const high = tracked();
    const fresh = new FdTable();
    expect(fresh.install(high.file, false, fresh.limit)).toBe(-24);
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

describe("FdTable sharing (fork, CLONE_FILES, exec)", () => {
  it("clone() shares the open file descriptions: one release after both tables close", () => {
    const fds = new FdTable();
    const a = tracked(), b = tracked();
    fds.install(a.file, false);
    fds.install(b.file, true);
    const copy = fds.clone();
    expect(copy.get(0)).toBe(a.file);
    expect(copy.get(1)).toBe(b.file);
    // Shared description: one offset.
    fds.get(0)!.offset = 99;
    expect(copy.get(0)!.offset).toBe(99);
    fds.close(0);
    expect(a.releases()).toBe(0);
    copy.close(0);
    expect(a.releases()).toBe(1);
    copy.closeAll();
    expect(b.releases()).toBe(0);
    fds.closeAll();
    expect(b.releases()).toBe(1);
  });

  it("clone() copies the slots: FD_CLOEXEC and later changes are per table", () => {
    const fds = new FdTable();
    fds.install(tracked().file, true);
    fds.installAt(4, tracked().file, false);
    const copy = fds.clone();
    expect([copy.cloexec(0), copy.cloexec(4)]).toEqual([true, false]);
    expect([...copy.entries()].map(([fd]) => fd)).toEqual([0, 4]);
    copy.setCloexec(0, false);
    expect(fds.cloexec(0)).toBe(true);
    const extra = tracked();
    expect(copy.install(extra.file, false)).toBe(1);
    expect(fds.get(1)).toBeNull();
    expect(copy.shared).toBe(false);
  });

  it("share() counts users: closeAll() releases only when the last user goes", () => {
    const fds = new FdTable();
    const f = tracked();
    fds.install(f.file, false);
    expect(fds.shared).toBe(false);
    expect(fds.share()).toBe(fds);
    expect(fds.shared).toBe(true);
    fds.closeAll();
    expect(f.releases()).toBe(0);
    expect(fds.get(0)).toBe(f.file);
    expect(fds.shared).toBe(false);
    fds.closeAll();
    expect(f.releases()).toBe(1);
    expect(fds.get(0)).toBeNull();
  });

  it("unshare() leaves the shared table to the others and returns a private copy", () => {
    const fds = new FdTable().share();
    const f = tracked();
    fds.install(f.file, true);
    const mine = fds.unshare();
    expect(mine).not.toBe(fds);
    expect(fds.shared).toBe(false);
    expect(mine.shared).toBe(false);
    expect(mine.get(0)).toBe(f.file);
    expect(mine.cloexec(0)).toBe(true);
    // exec then closes its cloexec descriptors without touching the other table.
    mine.closeOnExec();
    expect(mine.get(0)).toBeNull();
    expect(fds.get(0)).toBe(f.file);
    expect(f.releases()).toBe(0);
    fds.closeAll();
    expect(f.releases()).toBe(1);
  });

  it("closeOnExec() closes only close-on-exec slots", () => {
    const fds = new FdTable();
    const keep = tracked(), drop = tracked(), dup = tracked();
    fds.install(keep.file, false); // 0
    fds.install(drop.file, true); // 1
    fds.install(dup.file, false); // 2
    fds.install(dup.file.ref(), true); // 3: a cloexec dup of 2
    fds.closeOnExec();
    expect([...fds.entries()].map(([fd]) => fd)).toEqual([0, 2]);
    expect([keep.releases(), drop.releases(), dup.releases()]).toEqual([0, 1, 0]);
    fds.closeAll();
    expect([keep.releases(), drop.releases(), dup.releases()]).toEqual([1, 1, 1]);
  });

  it("closeRange() closes [first, last] inclusive, with last past the table's end", () => {
    const fds = new FdTable();
    const files = Array.from({ length: 6 }, () => tracked());
    for (const f of files) fds.install(f.file, false);
    fds.closeRange(2, 3, false);
    expect([...fds.entries()].map(([fd]) => fd)).toEqual([0, 1, 4, 5]);
    expect(files.map((f) => f.releases())).toEqual([0, 0, 1, 1, 0, 0]);
    fds.closeRange(4, 0xffffffff, false);
    expect([...fds.entries()].map(([fd]) => fd)).toEqual([0, 1]);
    expect(files.map((f) => f.releases())).toEqual([0, 0, 1, 1, 1, 1]);
    fds.closeRange(5, 2, false); // first > last: nothing
    expect([...fds.entries()].map(([fd]) => fd)).toEqual([0, 1]);
  });

  it("closeRange(…, CLOSE_RANGE_CLOEXEC) marks the open slots close-on-exec and closes nothing", () => {
    const fds = new FdTable();
    const files = Array.from({ length: 4 }, () => tracked());
    for (const f of files) fds.install(f.file, false);
    fds.close(2);
    fds.closeRange(1, 0xffffffff, true);
    expect([fds.cloexec(0), fds.cloexec(1), fds.cloexec(2), fds.cloexec(3)]).toEqual([false, true, false, true]);
    expect([...fds.entries()].map(([fd]) => fd)).toEqual([0, 1, 3]);
    expect(files.map((f) => f.releases())).toEqual([0, 0, 1, 0]);
    // The marked slot stays free: a new install there is not close-on-exec.
    expect(fds.install(tracked().file, false)).toBe(2);
    expect(fds.cloexec(2)).toBe(false);
    fds.closeOnExec();
    expect([...fds.entries()].map(([fd]) => fd)).toEqual([0, 2]);
    expect(files.map((f) => f.releases())).toEqual([0, 1, 1, 1]);
  });
});
