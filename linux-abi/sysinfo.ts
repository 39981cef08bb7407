// Linux: include/uapi/linux/sysinfo.h (struct sysinfo, x86-64: 112 bytes).

import { getInt64, getUint64, setInt64 } from "./_int64.ts";

/** Load averages are fixed point with this many fraction bits. */
export const SI_LOAD_SHIFT = 16;

export interface Sysinfo {
  uptime: number;
  /** 1, 5 and 15 minute load averages, scaled by 1 << SI_LOAD_SHIFT. */
  loads: readonly [number, number, number];
  totalram: number;
  freeram: number;
  sharedram: number;
  bufferram: number;
  totalswap: number;
  freeswap: number;
  procs: number;
  totalhigh: number;
  freehigh: number;
  mem_unit: number;
}
export const SIZEOF_SYSINFO = 112;
export const SYSINFO_FIELDS = {
  uptime: 0,
  loads: 8,
  totalram: 32,
  freeram: 40,
  sharedram: 48,
  bufferram: 56,
  totalswap: 64,
  freeswap: 72,
  procs: 80,
  totalhigh: 88,
  freehigh: 96,
  mem_unit: 104,
} as const;

/** Write all 112 bytes of a struct sysinfo, padding zeroed. */
export function encodeSysinfo(view: DataView, offset: number, si: Sysinfo): void {
  const f = SYSINFO_FIELDS;
  setInt64(view, offset + f.uptime, si.uptime);
  setInt64(view, offset + f.loads, si.loads[0]);
  setInt64(view, offset + f.loads + 8, si.loads[1]);
  setInt64(view, offset + f.loads + 16, si.loads[2]);
  setInt64(view, offset + f.totalram, si.totalram);
  setInt64(view, offset + f.freeram, si.freeram);
  setInt64(view, offset + f.sharedram, si.sharedram);
  setInt64(view, offset + f.bufferram, si.bufferram);
  setInt64(view, offset + f.totalswap, si.totalswap);
  setInt64(view, offset + f.freeswap, si.freeswap);
  view.setUint16(offset + f.procs, si.procs, true);
  view.setUint16(offset + f.procs + 2, 0, true); // pad
  view.setUint32(offset + f.procs + 4, 0, true); // alignment of totalhigh
  setInt64(view, offset + f.totalhigh, si.totalhigh);
  setInt64(view, offset + f.freehigh, si.freehigh);
  view.setUint32(offset + f.mem_unit, si.mem_unit, true);
  view.setUint32(offset + f.mem_unit + 4, 0, true); // _f[0] and tail padding
}

export function decodeSysinfo(view: DataView, offset: number): Sysinfo {
  const f = SYSINFO_FIELDS;
  return {
    uptime: getInt64(view, offset + f.uptime),
    loads: [getUint64(view, offset + f.loads), getUint64(view, offset + f.loads + 8), getUint64(view, offset + f.loads + 16)],
    totalram: getUint64(view, offset + f.totalram),
    freeram: getUint64(view, offset + f.freeram),
    sharedram: getUint64(view, offset + f.sharedram),
    bufferram: getUint64(view, offset + f.bufferram),
    totalswap: getUint64(view, offset + f.totalswap),
    freeswap: getUint64(view, offset + f.freeswap),
    procs: view.getUint16(offset + f.procs, true),
    totalhigh: getUint64(view, offset + f.totalhigh),
    freehigh: getUint64(view, offset + f.freehigh),
    mem_unit: view.getUint32(offset + f.mem_unit, true),
  };
}
