// The host poll(2) behind ReadableWatch runs on a pool thread and writes its results into a
// pollfd array after the JS call has returned. A child Node with a forced collector between
// start and wake-up catches an array that nothing holds: the heap corrupts and the child
// dies (it did within three rounds before the watch kept its array).

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureBuilt, ROOT } from "../../integration/_run.ts";

const CHILD = `
import { readSync } from "node:fs";
import { libc, ReadableWatch } from ${JSON.stringify(join(ROOT, "dist/libos/_host_libc.js"))};
const c = libc();
const p = new Int32Array(2);
if (c.pipe(p) < 0) throw new Error("pipe");
let rounds = 0;
function round() {
  if (rounds++ === 200) return console.log("woken 200 times");
  new ReadableWatch(p[0], () => { readSync(p[0], Buffer.alloc(1)); setImmediate(round); }).start();
  for (let i = 0; i < 3; i++) {
    gc();
    const junk = [];
    for (let j = 0; j < 200; j++) junk.push(new Uint8Array(16).buffer);
  }
  c.write(p[1], new Uint8Array(1), 1);
}
round();
`;

describe("ReadableWatch", () => {
  it("keeps its pollfd array alive while poll(2) runs: collections in between corrupt nothing", () => {
    ensureBuilt();
    const r = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", CHILD], { encoding: "utf8" });
    expect({ status: r.status, signal: r.signal, out: r.stdout.trim() }).toEqual({ status: 0, signal: null, out: "woken 200 times" });
  });
});
