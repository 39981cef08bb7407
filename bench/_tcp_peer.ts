// The host's end of the TCP throughput rows (samples/bench/tcp-stream): a server on
// ADDR:PORT that, per connection, reads a first line "send N" (then counts the bytes that
// follow until the client's FIN and answers the count) or "recv N" (then writes N MiB and
// ends). Prints "listening" once it listens; runs until killed.
// Run: node dist/bench/_tcp_peer.js ADDR PORT

import { createServer, type Socket } from "node:net";

const BLOCK = Buffer.alloc(256 * 1024, 0x5a);

function serve(s: Socket): void {
  s.on("error", () => s.destroy());
  let head = "";
  let counted = -1;
  s.on("data", (chunk: Buffer) => {
    if (counted >= 0) {
      counted += chunk.length;
      return;
    }
    head += chunk.toString("latin1");
    const eol = head.indexOf("\n");
    if (eol < 0) return;
    const [verb, mib] = head.slice(0, eol).split(" ");
    const rest = head.length - eol - 1;
    if (verb === "send") counted = rest;
    else if (verb === "recv") send(s, Number(mib) * 1024 * 1024);
    else s.destroy();
  });
  s.on("end", () => {
    if (counted >= 0) s.end(`${counted}\n`);
  });
}

function send(s: Socket, total: number): void {
  let left = total;
  const more = (): void => {
    while (left > 0) {
      const n = Math.min(BLOCK.length, left);
      left -= n;
      if (!s.write(BLOCK.subarray(0, n))) return void s.once("drain", more);
    }
    s.end();
  };
  more();
}

const [addr = "127.0.0.1", port = "0"] = process.argv.slice(2);
createServer({ allowHalfOpen: true }, serve).listen(Number(port), addr, () => console.log("listening"));
