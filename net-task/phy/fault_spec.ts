// The text form of FaultOptions that `--net-faults` takes:
//
//   drop=0.1,dup=0.01,reorder=0.05,corrupt=0.01,delay=5,rate=100mbit,seed=42
//
// Probabilities are in [0, 1] (or a percentage: "10%"); delay is milliseconds; rate is bits
// per second with an optional kbit/mbit/gbit suffix (tc's units); seed is a u32 (default 1,
// so that a run is reproducible unless asked otherwise).

import { type FaultOptions } from "./fault_injector.ts";

const PROBABILITIES = { drop: "drop", dup: "duplicate", duplicate: "duplicate", reorder: "reorder", corrupt: "corrupt" } as const;
const RATE_UNITS: Record<string, number> = { "": 1, bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 };

/** Parses a fault spec. Throws SyntaxError naming the part that is wrong. */
export function parseFaultSpec(spec: string): FaultOptions {
  const options: FaultOptions = { seed: 1 };
  for (const part of spec.split(",")) {
    if (part.trim() === "") continue;
    const eq = part.indexOf("=");
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const text = eq < 0 ? "" : part.slice(eq + 1).trim().toLowerCase();
    if (key in PROBABILITIES) {
      const percent = text.endsWith("%");
      const p = Number(percent ? text.slice(0, -1) : text) / (percent ? 100 : 1);
      if (text === "" || !(p >= 0 && p <= 1)) throw new SyntaxError(`Cannot parse fault spec: ${key} needs a probability in [0, 1], not "${text}"`);
      options[PROBABILITIES[key as keyof typeof PROBABILITIES]] = p;
    } else if (key === "delay") {
      const ms = Number(text.endsWith("ms") ? text.slice(0, -2) : text);
      if (text === "" || !(ms >= 0 && ms <= 60_000)) throw new SyntaxError(`Cannot parse fault spec: delay needs milliseconds (0-60000), not "${text}"`);
      options.delay = ms;
    } else if (key === "rate") {
      const m = /^([0-9]+(?:\.[0-9]+)?)([a-z]*)$/.exec(text);
      const unit = m === null ? undefined : RATE_UNITS[m[2]!];
      const bits = m === null || unit === undefined ? NaN : Number(m[1]) * unit;
      if (!(bits >= 1000)) throw new SyntaxError(`Cannot parse fault spec: rate needs bits per second of at least 1kbit (e.g. 100mbit), not "${text}"`);
      options.rate = bits;
    } else if (key === "seed") {
      const seed = Number(text);
      if (text === "" || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new SyntaxError(`Cannot parse fault spec: seed needs a u32, not "${text}"`);
      options.seed = seed;
    } else {
      throw new SyntaxError(`Cannot parse fault spec: unknown fault "${key}" (drop, dup, reorder, corrupt, delay, rate, seed)`);
    }
  }
  return options;
}
