// SupervisedFs: a mount whose fs-task can die and start again (libos/supervised_fs.ts),
// over tmpfs instances standing in for the fs-task's back end.

import { describe, expect, it } from "vitest";
import type { FileSystem } from "../../../fs-task/file_system.ts";
import { TmpFs } from "../../../fs-task/tmpfs.ts";
import { EIO } from "../../../linux-abi/errno.ts";
import { O_CREAT, O_PATH, O_RDONLY, O_RDWR } from "../../../linux-abi/fcntl.ts";
import { SupervisedFs, asFileSystem } from "../../../libos/supervised_fs.ts";

const unlimited = { charge: () => true, release() {} };

/** A supervised tmpfs whose instances start with /d/f holding "data"; `started` lists them. */
function supervised(epoch: () => number = () => 0): { fs: FileSystem; sup: SupervisedFs; started: TmpFs[] } {
  const started: TmpFs[] = [];
  const sup = new SupervisedFs(() => {
    const t = new TmpFs({ dev: 7, quota: unlimited });
    t.mkdir("/d", 0o755);
    const h = t.open("/d/f", O_CREAT | O_RDWR, 0o644) as number;
    t.pwrite(h, new TextEncoder().encode("data"), 0);
    t.close(h);
    started.push(t);
    return t;
  }, epoch);
  return { fs: asFileSystem(sup), sup, started };
}

function readAll(fs: FileSystem, h: number): string | number {
  const buf = new Uint8Array(16);
  const n = fs.pread(h, buf, 0) as number;
  return n < 0 ? n : new TextDecoder().decode(buf.subarray(0, n));
}

describe("SupervisedFs", () => {
  it("changes nothing before a first restart: handles are the instance's own", () => {
    const { fs, started } = supervised();
    const h = fs.open("/d/f", O_RDONLY, 0) as number;
    expect(h).toBeGreaterThanOrEqual(0);
    expect(h).toBeLessThan(2 ** 32);
    expect(readAll(started[0]!, h)).toBe("data");
  });

  it("after restart(): an old handle answers EIO (isatty false), a new open reaches the new instance", () => {
    const { fs, sup, started } = supervised();
    const old = fs.open("/d/f", O_RDONLY, 0) as number;
    sup.restart();
    expect(started).toHaveLength(2);
    expect(readAll(fs, old)).toBe(-EIO);
    expect(fs.fstat(old)).toBe(-EIO);
    expect(fs.isatty(old)).toBe(false);
    const fresh = fs.open("/d/f", O_RDONLY, 0) as number;
    expect(fresh).toBeGreaterThanOrEqual(2 ** 32);
    expect(readAll(fs, fresh)).toBe("data");
    expect(fs.close(fresh)).toBe(0);
    expect(sup.restarts).toBe(1);
  });

  it("an instance that throws dies: that call gets EIO, the next one reaches a new instance", () => {
    const { fs, started } = supervised();
    (started[0] as unknown as { stat: () => never }).stat = () => {
      throw new Error("the back end broke");
    };
    expect(fs.stat("/d/f", true)).toBe(-EIO);
    expect(started).toHaveLength(2);
    expect(typeof fs.stat("/d/f", true)).toBe("object");
  });

  it("moves to a new instance at its next call once epoch() says the fs-task died, and shows it the mount views", () => {
    let deaths = 0;
    const { fs, started } = supervised(() => deaths);
    const root = fs.open("/d", O_PATH, 0) as number;
    expect(fs.setMountView!(1, root, false, "")).toBe(0);
    deaths = 1;
    expect(typeof fs.stat("/d/f", true)).toBe("object");
    expect(started).toHaveLength(2);
    // View 1 is rooted at /d in the new instance too: "f" is found from it.
    expect(typeof fs.stat("\u00001/f", true)).toBe("object");
  });
});
