// resolveInRoot(): the component-by-component walk that confines HostFs to its root.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveInRoot } from "../../../fs-task/_confined_path.ts";
import { ELOOP, ENOENT, ENOTDIR } from "../../../fs-task/_errno.ts";

let root: string;

beforeAll(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "confined-")));
  fs.mkdirSync(path.join(root, "d"));
  fs.writeFileSync(path.join(root, "d", "f"), "");
  fs.symlinkSync("/d", path.join(root, "abs"));
  fs.symlinkSync("d/f", path.join(root, "tofile"));
  fs.symlinkSync("loop", path.join(root, "loop"));
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe("resolveInRoot()", () => {
  it("resolves the root and plain paths", () => {
    expect(resolveInRoot(root, "/", true)).toMatchObject({ hostPath: root, isRoot: true });
    expect(resolveInRoot(root, "/d/f", true)).toMatchObject({ hostPath: path.join(root, "d", "f"), isRoot: false });
  });

  it("keeps .. at the root", () => {
    expect(resolveInRoot(root, "/../../d/../..", true)).toMatchObject({ hostPath: root, isRoot: true });
  });

  it("restarts an absolute symlink target at the root", () => {
    expect(resolveInRoot(root, "/abs/f", true)).toMatchObject({ hostPath: path.join(root, "d", "f") });
  });

  it("follows a final symlink only when asked", () => {
    expect(resolveInRoot(root, "/tofile", true)).toMatchObject({ hostPath: path.join(root, "d", "f") });
    const r = resolveInRoot(root, "/tofile", false);
    expect(r).toMatchObject({ hostPath: path.join(root, "tofile") });
    expect(typeof r !== "number" && r.stat?.isSymbolicLink()).toBe(true);
  });

  it("returns a null stat for a missing last component", () => {
    expect(resolveInRoot(root, "/d/new", true)).toMatchObject({ hostPath: path.join(root, "d", "new"), stat: null });
  });

  it("returns ENOENT, ENOTDIR and ELOOP", () => {
    expect(resolveInRoot(root, "", true)).toBe(-ENOENT);
    expect(resolveInRoot(root, "/nope/x", true)).toBe(-ENOENT);
    expect(resolveInRoot(root, "/nope/.", true)).toBe(-ENOENT);
    expect(resolveInRoot(root, "/d/f/x", true)).toBe(-ENOTDIR);
    expect(resolveInRoot(root, "/tofile/", false)).toBe(-ENOTDIR);
    expect(resolveInRoot(root, "/loop", true)).toBe(-ELOOP);
  });
});
