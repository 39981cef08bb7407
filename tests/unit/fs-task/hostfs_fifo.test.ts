// HostFs on a FIFO in the host tree: the blocking open and blocking reads come back as
// Promises; with O_NONBLOCK everything answers at once.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FileSystem } from "../../../fs-task/file_system.ts";
import { FS_MODES, fsModes } from "./_modes.ts";
import { EAGAIN } from "../../../fs-task/_errno.ts";
import { O_NONBLOCK, O_RDONLY, O_WRONLY } from "../../../fs-task/_flags.ts";

let root: string;
let hfs: FileSystem;

describe.each(FS_MODES)("HostFs on a FIFO in %s mode", (mode) => {
  const { mount } = fsModes(mode);

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "hostfs-fifo-"));
    execFileSync("mkfifo", [path.join(root, "pipe")]);
    hfs = mount({ type: "hostfs", root });
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  describe("HostFs on a FIFO", () => {
    it("HostFs.open() waits for the other end in a Promise", async () => {
      const reader = hfs.open("/pipe", O_RDONLY, 0);
      const writer = hfs.open("/pipe", O_WRONLY, 0);
      expect(reader).toBeInstanceOf(Promise);
      const [r, w] = await Promise.all([reader, writer]);
      expect(r).toBeGreaterThanOrEqual(0);
      expect(w).toBeGreaterThanOrEqual(0);
      const buf = new Uint8Array(16);
      const read = hfs.pread(r, buf, 0);
      expect(read).toBeInstanceOf(Promise);
      expect(await hfs.pwrite(w, new TextEncoder().encode("ping"), 0)).toBe(4);
      expect(await read).toBe(4);
      expect(new TextDecoder().decode(buf.subarray(0, 4))).toBe("ping");
      expect(hfs.close(w)).toBe(0);
      expect(await hfs.pread(r, buf, 0)).toBe(0);
      expect(hfs.close(r)).toBe(0);
    });

    it("HostFs.pread() with O_NONBLOCK answers EAGAIN at once when the FIFO is empty", async () => {
      const r = hfs.open("/pipe", O_RDONLY | O_NONBLOCK, 0);
      expect(typeof r).toBe("number");
      const w = await hfs.open("/pipe", O_WRONLY, 0);
      const buf = new Uint8Array(8);
      expect(hfs.pread(r as number, buf, 0)).toBe(-EAGAIN);
      await hfs.pwrite(w, new Uint8Array([1, 2, 3]), 0);
      expect(hfs.pread(r as number, buf, 0)).toBe(3);
      hfs.close(w);
      hfs.close(r as number);
    });

    it("HostFs.close() during a pending read keeps the host fd until the read ends", async () => {
      const [r, w] = await Promise.all([hfs.open("/pipe", O_RDONLY, 0), hfs.open("/pipe", O_WRONLY, 0)]);
      const read = hfs.pread(r, new Uint8Array(8), 0);
      expect(hfs.close(r)).toBe(0);
      await hfs.pwrite(w, new Uint8Array([9]), 0);
      expect(await read).toBe(1);
      hfs.close(w);
    });
  });
});
