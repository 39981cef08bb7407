import { describe, expect, it } from "vitest";
import { CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW } from "../../../linux-abi/capability.ts";
import { EACCES, EPERM } from "../../../linux-abi/errno.ts";
import { S_IFDIR, S_IFREG } from "../../../linux-abi/stat.ts";
import { CAP_FULL, capAndNot, capBit, capOr, execCreds, fixSetfsuid, hasCap } from "../../../libos/capabilities.ts";
import { initialCredentials, setId, setResId, type Credentials } from "../../../libos/creds.ts";
import { MAY_EXEC, MAY_READ, MAY_WRITE, chmodMode, fsPrivileged, mayChown, mayDelete, mayLink, permission } from "../../../libos/permission.ts";

const root = initialCredentials(0, 0, []);
const user = initialCredentials(1000, 100, [100, 200]);
const file = (mode: number, uid = 0, gid = 0) => ({ mode: S_IFREG | mode, uid, gid });
const dir = (mode: number, uid = 0, gid = 0) => ({ mode: S_IFDIR | mode, uid, gid });
const without = (c: Credentials, ...caps: number[]): Credentials => ({ ...c, capEffective: caps.reduce((s, cap) => capAndNot(s, capBit(cap)), c.capEffective) });

describe("permission()", () => {
  it("permission() uses the owner's bits for the owner even when others have more", () => {
    expect(permission(user, file(0o066, 1000), MAY_READ)).toBe(-EACCES);
    expect(permission(user, file(0o400, 1000), MAY_READ)).toBe(0);
  });

  it("permission() uses the group's bits for a supplementary group", () => {
    expect(permission(user, file(0o060, 0, 200), MAY_READ | MAY_WRITE)).toBe(0);
    expect(permission(user, file(0o606, 0, 200), MAY_READ)).toBe(-EACCES);
  });

  it("permission() lets root read and write anything, but exec only a file with an x bit", () => {
    expect(permission(root, file(0o000, 1000), MAY_READ | MAY_WRITE)).toBe(0);
    expect(permission(root, file(0o644, 1000), MAY_EXEC)).toBe(-EACCES);
    expect(permission(root, file(0o001, 1000), MAY_EXEC)).toBe(0);
    expect(permission(root, dir(0o000, 1000), MAY_EXEC)).toBe(0);
  });

  it("permission() asks for capabilities, not uid 0", () => {
    const noOverride = without(root, CAP_DAC_OVERRIDE);
    expect(permission(noOverride, file(0o600, 1000), MAY_READ)).toBe(0);
    expect(permission(noOverride, file(0o600, 1000), MAY_WRITE)).toBe(-EACCES);
    expect(permission(noOverride, dir(0o600, 1000), MAY_EXEC)).toBe(0);
    expect(permission(without(noOverride, CAP_DAC_READ_SEARCH), dir(0o600, 1000), MAY_EXEC)).toBe(-EACCES);
  });

  it("fsPrivileged() holds for root and not once a DAC capability is dropped", () => {
    expect(fsPrivileged(root)).toBe(true);
    expect(fsPrivileged(user)).toBe(false);
    expect(fsPrivileged(without(root, CAP_FOWNER))).toBe(false);
    expect(fsPrivileged(without(root, CAP_MKNOD))).toBe(true);
  });
});

describe("mayDelete(), mayChown(), chmodMode(), mayLink()", () => {
  it("mayDelete() needs w+x on the directory, and in a sticky one the file's or the directory's owner", () => {
    expect(mayDelete(user, dir(0o555), file(0o644, 1000))).toBe(-EACCES);
    expect(mayDelete(user, dir(0o1777), file(0o666, 0))).toBe(-EPERM);
    expect(mayDelete(user, dir(0o1777), file(0o600, 1000))).toBe(0);
    expect(mayDelete(user, dir(0o1777, 1000), file(0o600, 0))).toBe(0);
    expect(mayDelete(root, dir(0o1777, 5), file(0o600, 6))).toBe(0);
  });

  it("mayChown() lets the owner keep its uid and pick one of its groups; anything else needs CAP_CHOWN", () => {
    const mine = file(0o644, 1000, 100);
    expect(mayChown(user, mine, 1000, 200)).toBe(0);
    expect(mayChown(user, mine, -1, 300)).toBe(-EPERM);
    expect(mayChown(user, mine, 0, -1)).toBe(-EPERM);
    expect(mayChown(user, file(0o644, 0), -1, -1)).toBe(0);
    expect(mayChown(user, file(0o644, 0), 0, -1)).toBe(-EPERM);
    expect(mayChown(without(root, CAP_CHOWN), file(0o644, 5), 0, -1)).toBe(-EPERM);
  });

  it("chmodMode() drops S_ISGID for a group the caller is not in", () => {
    expect(chmodMode(user, file(0o644, 1000, 300), 0o2755)).toBe(0o755);
    expect(chmodMode(user, file(0o644, 1000, 200), 0o2755)).toBe(0o2755);
  });

  it("mayLink() refuses a file the caller neither owns nor may read and write", () => {
    expect(mayLink(user, file(0o644, 0))).toBe(-EPERM);
    expect(mayLink(user, file(0o666, 0))).toBe(0);
    expect(mayLink(user, file(0o4666, 0))).toBe(-EPERM);
    expect(mayLink(user, file(0o600, 1000))).toBe(0);
  });
});

describe("capabilities", () => {
  it("setuid() away from root clears the sets; setresuid with keep-caps keeps the permitted set", () => {
    const dropped = setId(root, "uid", 1000) as Credentials;
    expect([dropped.capPermitted, dropped.capEffective]).toEqual([0, 0]);
    const kept = setResId({ ...root, securebits: 1 << 4 }, "uid", 1000, 1000, 1000) as Credentials;
    expect([kept.capPermitted, kept.capEffective]).toEqual([CAP_FULL, 0]);
    expect(setId(dropped, "uid", 0)).toBe(-EPERM);
  });

  it("an fs uid away from 0 takes the file-system capabilities from the effective set only", () => {
    const c = fixSetfsuid(root, { ...root, fsuid: 1000 });
    expect(hasCap(c.capEffective, CAP_DAC_OVERRIDE)).toBe(false);
    expect(hasCap(c.capEffective, CAP_NET_RAW)).toBe(true);
    expect(c.capPermitted).toBe(CAP_FULL);
    expect(fixSetfsuid(c, { ...c, fsuid: 0 }).capEffective).toBe(CAP_FULL);
  });

  it("execCreds() gives root every bounding capability and a user its ambient ones; a set-user-ID file its owner", () => {
    const bounded = { ...root, capBounding: capAndNot(CAP_FULL, capBit(CAP_MKNOD)) };
    expect(execCreds(bounded, file(0o755)).capEffective).toBe(bounded.capBounding);
    const ambient = { ...user, capInheritable: capBit(CAP_NET_RAW), capPermitted: capBit(CAP_NET_RAW), capAmbient: capBit(CAP_NET_RAW) };
    expect(execCreds(ambient, file(0o755)).capEffective).toBe(capBit(CAP_NET_RAW));
    const setuid = execCreds(ambient, file(0o4755, 0));
    expect([setuid.uid, setuid.euid, setuid.suid, setuid.capAmbient, setuid.capEffective]).toEqual([1000, 0, 0, 0, CAP_FULL]);
    expect(capOr(capBit(40), capBit(0))).toBe(2 ** 40 + 1);
  });
});
