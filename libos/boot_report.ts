// `libos boot --report FILE.html`: one self-contained page (inline SVG drawn by an inline
// script from the boot's figures; nothing fetched) that shows
//
//   - each kernel as a box: its name, thread, fs mode and how it ended; inside it its
//     tasks (the guest processes, the kernel-task, the fs-task) joined by their
//     endpoints, each edge labelled with its message rate;
//   - the pipes between kernels as arrows with their byte rates, the virtual links as
//     arcs and the switches as boxes under the kernels, each with its frame and byte rates;
//   - under each kernel, its syscall mix (the most frequent calls, as bars).
//
// The figures come from the summaries' `stats` (run_stats.ts) and the boot's channel
// traffic (boot.ts). Rates are per second of the boot's wall time. Every drawn kernel is
// an SVG group with a data-kernel attribute (the test reads them back).

import type { BootResult } from "./boot.ts";
import type { SystemSpec } from "./system_description.ts";

/** What the page's script draws. */
interface ReportData {
  elapsedMs: number;
  kernels: {
    name: string;
    thread: string;
    fsMode: string;
    end: string;
    cpuUs: number;
    memoryBytes: number;
    peakBytes: number;
    stats: unknown;
  }[];
  channels: BootResult["channels"];
}

function ending(s: BootResult["summaries"][number]): string {
  if (s.failure !== null) return `failed: ${s.failure}`;
  return s.signal !== 0 ? `killed by signal ${s.signal}` : `exited with ${s.status}`;
}

export function bootReport(spec: SystemSpec, result: BootResult): string {
  const data: ReportData = {
    elapsedMs: result.elapsedMs,
    kernels: result.summaries.map((s) => {
      const k = spec.kernels.find((k) => k.name === s.name)!;
      return {
        name: s.name, thread: s.thread, fsMode: k.fsMode, end: ending(s), cpuUs: s.cpuUs, memoryBytes: k.memory, peakBytes: s.peakBytes,
        stats: s.stats ?? null,
      };
    }),
    channels: result.channels,
  };
  // JSON inside a script element: "</" must not close it.
  const json = JSON.stringify(data).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>libos boot report</title>
<style>
  body { font: 13px system-ui, sans-serif; margin: 16px; color: #222; background: #fafafa; }
  h1 { font-size: 18px; margin: 0 0 4px; }
  p.sub { margin: 0 0 12px; color: #555; }
  svg text { font: 12px system-ui, sans-serif; fill: #222; }
  svg text.title { font-weight: 600; font-size: 15px; }
  svg text.small { font-size: 11px; fill: #555; }
  svg .kernel { fill: #fff; stroke: #445; stroke-width: 1.5; }
  svg .task { fill: #eef3fb; stroke: #6b87b5; }
  svg .kt { fill: #fdf1e3; stroke: #c08a3e; }
  svg .fs { fill: #eaf6ea; stroke: #5a9a5a; }
  svg .edge { stroke: #777; stroke-width: 1.3; fill: none; marker-end: url(#arrow); }
  svg .pipe { stroke: #b03a5b; stroke-width: 2.2; fill: none; marker-end: url(#arrowPipe); }
  svg .link { stroke: #2f7f86; stroke-width: 2.2; fill: none; stroke-dasharray: 6 3; }
  svg .switch { fill: #e6f4f5; stroke: #2f7f86; stroke-width: 1.5; }
  svg .bar { fill: #6b87b5; }
</style>
</head>
<body>
<h1>libos boot report</h1>
<p class="sub" id="sub"></p>
<svg id="picture" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="user kernels, tasks, endpoints and channels"></svg>
<script id="data" type="application/json">${json}</script>
<script>
${PAGE_SCRIPT}
</script>
</body>
</html>
`;
}

// The page's script: plain browser JavaScript, no library.
const PAGE_SCRIPT = String.raw`
"use strict";
const DATA = JSON.parse(document.getElementById("data").textContent);
const NS = "http://www.w3.org/2000/svg";
const svg = document.getElementById("picture");
const secs = Math.max(DATA.elapsedMs, 1) / 1000;
const W = 320, GAP = 90, TASK_H = 26, MAX_PROGRAMS = 6, MIX = 10;
// Room above the kernels for one arc label per pipe and link.
const TOP = 50 + 18 * DATA.channels.filter(function (c) { return c.kind !== "switch"; }).length;

function el(name, attrs, parent, text) {
  const e = document.createElementNS(NS, name);
  for (const k in attrs) e.setAttribute(k, String(attrs[k]));
  if (text !== undefined) e.textContent = text;
  (parent || svg).appendChild(e);
  return e;
}
function rate(n) {
  const r = n / secs;
  return r >= 1000 ? (r / 1000).toFixed(1) + "k/s" : r >= 10 ? Math.round(r) + "/s" : r.toFixed(1) + "/s";
}
function bytes(n) {
  const u = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i === 0 ? Math.round(n) : n.toFixed(1)) + " " + u[i];
}
function box(g, x, y, w, h, cls, label) {
  el("rect", { x: x, y: y, width: w, height: h, rx: 5, class: cls }, g);
  el("text", { x: x + 8, y: y + h / 2 + 4 }, g, label);
  return { x: x, y: y, w: w, h: h };
}
function edge(g, from, to, label) {
  const x1 = from.x + from.w, y1 = from.y + from.h / 2, x2 = to.x, y2 = to.y + to.h / 2;
  el("path", { d: "M" + x1 + "," + y1 + " C" + (x1 + 30) + "," + y1 + " " + (x2 - 30) + "," + y2 + " " + x2 + "," + y2, class: "edge" }, g);
  if (label) el("text", { x: x1 + 6, y: y1 - 4, class: "small" }, g, label);
}

const defs = el("defs", {});
for (const [id, color] of [["arrow", "#777"], ["arrowPipe", "#b03a5b"]]) {
  const m = el("marker", { id: id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" }, defs);
  el("path", { d: "M0,0 L10,5 L0,10 z", fill: color }, m);
}

document.getElementById("sub").textContent = DATA.kernels.length + " user kernel" + (DATA.kernels.length === 1 ? "" : "s") +
  ", " + secs.toFixed(2) + " s of wall time; rates are per second of it";

const boxes = new Map();
let height = 0;
DATA.kernels.forEach(function (k, i) {
  const x = 30 + i * (W + GAP), y = TOP;
  const g = el("g", { "data-kernel": k.name, class: "kernel-group" });
  const s = k.stats;
  const programs = s ? s.tasks.filter(function (t) { return t.kind === "program"; }) : [];
  programs.sort(function (a, b) { return total(b) - total(a); });
  const shown = programs.slice(0, MAX_PROGRAMS);
  const inner = Math.max(shown.length + (programs.length > shown.length ? 1 : 0), 2) * (TASK_H + 10);
  const mix = s ? s.tasks.find(function (t) { return t.kind === "kernel-task"; }).syscalls.slice(0, MIX) : [];
  const h = 84 + inner + 30 + mix.length * 16 + 20;
  el("rect", { x: x, y: y, width: W, height: h, rx: 8, class: "kernel" }, g);
  el("text", { x: x + 12, y: y + 22, class: "title" }, g, k.name);
  el("text", { x: x + 12, y: y + 40, class: "small" }, g,
    "thread " + k.thread + " · fs " + k.fsMode + " · " + k.end);
  el("text", { x: x + 12, y: y + 55, class: "small" }, g,
    "cpu " + (k.cpuUs / 1e6).toFixed(2) + " s · peak " + bytes(k.peakBytes) + " of " + bytes(k.memoryBytes));
  boxes.set(k.name, { x: x, y: y, w: W, h: h });
  if (!s) {
    el("text", { x: x + 12, y: y + 80, class: "small" }, g, "no statistics (the kernel did not run)");
    height = Math.max(height, y + h);
    return;
  }
  const top = y + 86;
  const kt = box(g, x + W - 120, top, 105, TASK_H, "kt", "kernel-task");
  const fsTask = s.tasks.find(function (t) { return t.kind === "fs-task"; });
  const fs = box(g, x + W - 120, top + TASK_H + 44, 105, TASK_H, "fs", "fs-task (" + fsTask.mode + ")");
  const ep = new Map(s.endpoints.map(function (e) { return [e.server, e]; }));
  shown.forEach(function (t, j) {
    const b = box(g, x + 12, top + j * (TASK_H + 10), 120, TASK_H, "task", t.name + " (" + t.pid + ")");
    edge(g, b, kt, rate(total(t)));
  });
  if (programs.length > shown.length) {
    el("text", { x: x + 14, y: top + shown.length * (TASK_H + 10) + 16, class: "small" }, g, "+ " + (programs.length - shown.length) + " more");
  }
  const ktEp = ep.get("kernel-task");
  el("text", { x: kt.x, y: kt.y - 6, class: "small" }, g, "endpoint: " + (ktEp ? rate(ktEp.calls.messages) + " calls" : "—"));
  const fsEp = ep.get("fs-task");
  const down = fsTask.mode === "inproc" ? "direct calls" : fsEp ? rate(fsEp.calls.messages) + " requests" : "no requests";
  el("path", { d: "M" + (kt.x + 50) + "," + (kt.y + kt.h) + " L" + (fs.x + 50) + "," + fs.y, class: "edge" }, g);
  el("text", { x: kt.x + 56, y: kt.y + kt.h + 24, class: "small" }, g, down);
  const mixTop = y + 84 + inner + 24;
  el("text", { x: x + 12, y: mixTop, class: "small" }, g, "syscall mix (" + s.syscalls + " calls)");
  const most = mix.length ? mix[0][1] : 1;
  mix.forEach(function (m, j) {
    const yy = mixTop + 8 + j * 16;
    el("text", { x: x + 12, y: yy + 10, class: "small" }, g, m[0]);
    el("rect", { x: x + 110, y: yy, width: Math.max(1, (W - 170) * m[1] / most), height: 11, class: "bar" }, g);
    el("text", { x: x + 116 + (W - 170) * m[1] / most, y: yy + 10, class: "small" }, g, String(m[1]));
  });
  height = Math.max(height, y + h);
});

function total(t) {
  return (t.syscalls || []).reduce(function (sum, e) { return sum + e[1]; }, 0);
}

function traffic(c) {
  return (c.frames !== undefined ? rate(c.frames) + " frames, " : "") + bytes(c.bytes) + ", " + bytes(c.bytes / secs) + "/s";
}

// Pipes and links arc over the kernels; switches are boxes under them, a line to each port's kernel.
const arcs = DATA.channels.filter(function (c) { return c.kind !== "switch"; });
arcs.forEach(function (c, i) {
  const a = boxes.get(c.from), b = boxes.get(c.to);
  if (!a || !b) return;
  const lift = 10 + i * 18;
  const x1 = a.x + a.w / 2, x2 = b.x + b.w / 2, y1 = a.y, y2 = b.y;
  const g = el("g", { "data-channel": c.kind });
  el("path", { d: "M" + x1 + "," + y1 + " C" + x1 + "," + (y1 - lift - 20) + " " + x2 + "," + (y2 - lift - 20) + " " + x2 + "," + y2, class: c.kind }, g);
  el("text", { x: (x1 + x2) / 2 - 90, y: Math.min(y1, y2) - lift - 22, class: "small" }, g, c.kind + " " + c.label + ": " + traffic(c));
});
const switchNames = [];
DATA.channels.forEach(function (c) { if (c.kind === "switch" && switchNames.indexOf(c.to) < 0) switchNames.push(c.to); });
switchNames.forEach(function (name, i) {
  const ports = DATA.channels.filter(function (c) { return c.kind === "switch" && c.to === name; });
  const top = height + 50 + i * 90;
  const xs = ports.map(function (c) { const k = boxes.get(c.from); return k ? k.x + k.w / 2 : 30; });
  const left = Math.min.apply(null, xs.concat([30])), right = Math.max.apply(null, xs.concat([left + 200]));
  const g = el("g", { "data-channel": "switch", "data-switch": name });
  ports.forEach(function (c, j) {
    const k = boxes.get(c.from);
    if (!k) return;
    const x = k.x + k.w / 2 + j * 4;
    el("path", { d: "M" + x + "," + (k.y + k.h) + " L" + x + "," + top, class: "link" }, g);
    el("text", { x: x + 6, y: top - 8 - (j % 2) * 12, class: "small" }, g, c.label + ": " + traffic(c));
  });
  el("rect", { x: left - 20, y: top, width: right - left + 40, height: 30, rx: 6, class: "switch" }, g);
  el("text", { x: left - 10, y: top + 19 }, g, "switch " + name);
  height = top + 30;
});

svg.setAttribute("width", String(30 + DATA.kernels.length * (W + GAP)));
svg.setAttribute("height", String(height + 30));
document.body.setAttribute("data-rendered", "yes");
`;
