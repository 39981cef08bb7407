// IPv4 and MAC addresses as numbers: building, formatting, parsing, masks, byte order.

import { describe, expect, it } from "vitest";
import {
  formatIpv4, formatMac, ipv4, isMulticastIpv4, isMulticastMac, parseIpv4, parseMac, prefixMask, readIpv4, readMac,
  sameSubnet, writeIpv4, writeMac,
} from "../../../../net-task/wire/address.ts";

describe("IPv4 addresses", () => {
  it("ipv4() builds an unsigned u32 and formatIpv4() prints it back", () => {
    expect(ipv4(192, 168, 1, 254)).toBe(0xc0a801fe);
    expect(formatIpv4(ipv4(255, 255, 255, 255))).toBe("255.255.255.255");
    expect(formatIpv4(ipv4(10, 0, 2, 15))).toBe("10.0.2.15");
  });

  it("parseIpv4() accepts dotted quads only", () => {
    expect(parseIpv4("127.0.0.1")).toBe(0x7f000001);
    for (const bad of ["1.2.3", "1.2.3.4.5", "256.1.1.1", "a.b.c.d", "1..2.3", " 1.2.3.4", "1.2.3.1234"]) {
      expect(parseIpv4(bad)).toBeNull();
    }
  });

  it("prefixMask() and sameSubnet() cover /0 to /32", () => {
    expect(prefixMask(0)).toBe(0);
    expect(prefixMask(8)).toBe(0xff000000);
    expect(prefixMask(24)).toBe(0xffffff00);
    expect(prefixMask(32)).toBe(0xffffffff);
    expect(sameSubnet(ipv4(10, 0, 0, 1), ipv4(10, 0, 0, 200), 24)).toBe(true);
    expect(sameSubnet(ipv4(10, 0, 0, 1), ipv4(10, 0, 1, 1), 24)).toBe(false);
    expect(isMulticastIpv4(ipv4(224, 0, 0, 1))).toBe(true);
    expect(isMulticastIpv4(ipv4(223, 0, 0, 1))).toBe(false);
  });

  it("reads and writes network byte order", () => {
    const b = new Uint8Array(6);
    writeIpv4(b, 1, ipv4(1, 2, 3, 4));
    expect([...b]).toEqual([0, 1, 2, 3, 4, 0]);
    expect(readIpv4(b, 1)).toBe(ipv4(1, 2, 3, 4));
  });
});

describe("MAC addresses", () => {
  it("round-trip through bytes, text and numbers", () => {
    const mac = parseMac("52:54:00:12:34:56")!;
    expect(mac).toBe(0x525400123456);
    expect(formatMac(mac)).toBe("52:54:00:12:34:56");
    const b = new Uint8Array(7);
    writeMac(b, 1, 0xfedcba987654);
    expect([...b]).toEqual([0, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54]);
    expect(readMac(b, 1)).toBe(0xfedcba987654);
    expect(parseMac("52:54:00:12:34")).toBeNull();
    expect(parseMac("52:54:00:12:34:5g")).toBeNull();
  });

  it("tells group addresses by the first octet's low bit", () => {
    expect(isMulticastMac(0xffffffffffff)).toBe(true);
    expect(isMulticastMac(0x01005e000001)).toBe(true);
    expect(isMulticastMac(0x525400123456)).toBe(false);
  });
});
