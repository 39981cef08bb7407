import { existsSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { COLUMNS, ROOT, ROWS, formatRatio, formatValue, median, renderTable } from "../../../bench/run.ts";

describe("bench harness", () => {
  it("takes the median of odd and even counts", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it("formats values and ratios, with n/a where a side is missing", () => {
    expect(formatValue(1234.4)).toBe("1234");
    expect(formatValue(12.34)).toBe("12.3");
    expect(formatValue(0.781)).toBe("0.78");
    expect(formatRatio({ ok: true, value: 300 }, { ok: true, value: 100 })).toBe("3.0×");
    expect(formatRatio({ ok: true, value: 3000 }, { ok: true, value: 100 })).toBe("30×");
    expect(formatRatio({ ok: false, text: "fail", why: "x" }, { ok: true, value: 1 })).toBe("n/a");
    expect(formatRatio({ ok: true, value: 1 }, { ok: true, value: 0 })).toBe("n/a");
  });

  it("renders an aligned table", () => {
    const out = renderTable(["a", "bbb"], [["xx", "y"]]).split("\n");
    expect(out).toEqual(["| a  | bbb |", "|----|-----|", "| xx | y   |"]);
  });

  it("has the required rows and columns, and their sample programs exist", () => {
    expect(COLUMNS.map((c) => c.title)).toEqual(["native", "qemu-x86_64", "libos"]);
    expect(ROWS.map((r) => r.name)).toEqual(["syscall getppid (ns/call)", "syscall getppid, bare insn (ns/call)", "start-up hello (ms)"]);
    for (const row of ROWS) {
      const argv = row.measure.kind === "wall-ms" ? row.measure.argv : row.measure.argv(0);
      expect(existsSync(argv[0]!), argv[0]).toBe(true);
    }
    expect(existsSync(path.join(ROOT, "package.json"))).toBe(true);
  });
});
