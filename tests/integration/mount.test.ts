// mount(2) in the guest, driven by busybox's mount applet, in each fs mode: bind mounts of
// /tmp directories (tmpfs), of the image and of a host volume, read-only remounts of a
// mount and of a file system, /dev remounted read-only, umount of a bind, mounts inside a
// bind, --rbind, --move and a file bind mount.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX, ensureBuilt, makeTempDir, runLibos } from "./_run.ts";

const FS_MODES = ["inproc", "ipc", "worker"] as const;

/** Runs `script` in busybox sh with nothing of the host mounted (unless `args` adds it). */
function sh(mode: string, script: string, args: string[] = []) {
  return runLibos(["--isolate", "--fs-mode", mode, ...args], BUSYBOX, ["sh", "-c", script]);
}

/** Lines of a script, joined; each prints what it checks. */
const lines = (...l: string[]): string => l.join("\n");

describe.each(FS_MODES)("mount --bind in /tmp and onto /mnt (--fs-mode %s)", (mode) => {
  beforeAll(() => ensureBuilt());

  it("shows the same files through both paths, and .. at the bind's root leaves for its parent", () => {
    const got = sh(mode, lines(
      "mkdir -p /tmp/a/sub /tmp/b",
      "mount --bind /tmp/a /tmp/b && mount --bind /tmp/a /mnt && echo bound",
      "echo one > /tmp/a/f; cat /tmp/b/f /mnt/f",
      "echo two > /mnt/g; cat /tmp/a/g",
      "[ \"$(stat -c '%d %i' /tmp/a/f)\" = \"$(stat -c '%d %i' /mnt/f)\" ] && echo same /mnt",
      "[ \"$(stat -c '%d %i' /tmp/b/g)\" = \"$(stat -c '%d %i' /mnt/g)\" ] && echo same /tmp/b",
      "cd /mnt/..; pwd; cd /mnt/sub/..; pwd; cd /",
      "ls /mnt/.. | grep -x -e bin -e etc -e tmp | tr '\\n' ' '; echo",
      "ln -s /etc/hostname /tmp/a/abs; [ \"$(cat /mnt/abs)\" = \"$(cat /etc/hostname)\" ] && echo absolute link from /",
      "grep -c ' /mnt tmpfs ' /proc/mounts",
      "umount /mnt && umount /tmp/b && echo unmounted; cat /tmp/a/f; ls -A /mnt | wc -l; ls -A /tmp/b | wc -l",
    ));
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(lines(
      "bound", "one", "one", "two", "same /mnt", "same /tmp/b", "/", "/mnt", "bin etc tmp ", "absolute link from /",
      "1", "unmounted", "one", "0", "0", "",
    ));
    expect(got.status).toBe(0);
  });

  it("remounts a bind read-only and back, alone or with its file system; EBUSY while a file is open for writing", () => {
    const got = sh(mode, lines(
      "mkdir /tmp/a; mount --bind /tmp/a /mnt",
      "mount -o remount,bind,ro /mnt && echo bind ro",
      "touch /mnt/x 2>&1; touch /tmp/a/x && echo source still writable",
      "grep -E ' /(mnt|tmp) ' /proc/mounts | sort",
      "mount -o remount,bind,rw /mnt && touch /mnt/y && echo bind rw",
      "mount -o remount,ro /tmp && echo tmpfs ro",
      "touch /tmp/z 2>&1; mkdir /mnt/d 2>&1; { echo hi > /mnt/x; } 2>&1",
      "grep -E ' /(mnt|tmp) ' /proc/mounts | sort",
      "mount -o remount,rw /tmp && touch /tmp/z /mnt/z && echo tmpfs rw",
      "grep -E ' /(mnt|tmp) ' /proc/mounts | sort",
      "exec 3>/mnt/open; mount -o remount,bind,ro /mnt 2>&1; exec 3>&-",
      "mount -o remount,bind,ro /mnt && echo closed, so ro",
      "ls /tmp/a | tr '\\n' ' '; echo",
    ));
    expect(got.stdout).toBe(lines(
      "bind ro",
      "touch: /mnt/x: Read-only file system",
      "source still writable",
      "tmpfs /mnt tmpfs ro 0 0",
      "tmpfs /tmp tmpfs rw 0 0",
      "bind rw",
      "tmpfs ro",
      "touch: /tmp/z: Read-only file system",
      "mkdir: can't create directory '/mnt/d': Read-only file system",
      "sh: can't create /mnt/x: Read-only file system",
      "tmpfs /mnt tmpfs ro 0 0",
      "tmpfs /tmp tmpfs ro 0 0",
      "tmpfs rw",
      "tmpfs /mnt tmpfs rw 0 0",
      "tmpfs /tmp tmpfs rw 0 0",
      "mount: mounting tmpfs on /mnt failed: Device or resource busy",
      "closed, so ro",
      "open x y z ",
      "",
    ));
    expect(got.status).toBe(0);
  });

  it("writes to /dev/null on a read-only /dev, and binds a directory of the image", () => {
    const got = sh(mode, lines(
      "mount -o remount,ro /dev && echo x > /dev/null && echo written",
      "mknod /dev/new p 2>&1; mount -o remount,rw /dev",
      "grep ' /dev ' /proc/mounts",
      "mount --bind /etc /mnt && cmp /mnt/hostname /etc/hostname && echo same hostname",
      "touch /mnt/x 2>&1; cd /mnt/..; pwd; cd /; umount /mnt",
    ));
    expect(got.stdout).toBe(lines(
      "written",
      "mknod: /dev/new: Read-only file system",
      "devtmpfs /dev devtmpfs rw 0 0",
      "same hostname",
      "touch: /mnt/x: Read-only file system",
      "/",
      "",
    ));
    expect(got.status).toBe(0);
  });

  it("sees mounts inside a bind, binds them too with --rbind, moves a mount, and binds a file", () => {
    const got = sh(mode, lines(
      "mkdir -p /tmp/a/in /tmp/c; mount --bind /tmp/a /mnt; mount -t tmpfs tmpfs /mnt/in; touch /mnt/in/t",
      "ls -A /tmp/a/in | wc -l; ls /mnt/in",
      "mount --rbind /mnt /tmp/c && ls /tmp/c/in",
      "umount /tmp/c/in; umount /tmp/c; mount --move /mnt /tmp/c && ls /tmp/c/in; cd /tmp/c/in/../..; pwd; cd /",
      "echo image > /tmp/f1; echo over > /tmp/f2; mount --bind /tmp/f2 /tmp/f1 && cat /tmp/f1; umount /tmp/f1; cat /tmp/f1",
    ));
    expect(got.stderr).toBe("");
    expect(got.stdout).toBe(lines("0", "t", "t", "t", "/tmp", "over", "image", ""));
    expect(got.status).toBe(0);
  });

  it("binds a directory of a host volume", () => {
    const { dir, cleanup } = makeTempDir("libos-mount-");
    try {
      mkdirSync(join(dir, "d"));
      writeFileSync(join(dir, "d", "h"), "host\n");
      const got = sh(mode, lines(
        "mount --bind /vol/d /mnt && cat /mnt/h",
        "[ \"$(stat -c '%d %i' /vol/d/h)\" = \"$(stat -c '%d %i' /mnt/h)\" ] && echo same inode",
        "echo guest > /mnt/g; cat /vol/d/g; cd /mnt/..; pwd; cd /",
        "mount -o remount,ro /vol; touch /mnt/x 2>&1; mount -o remount,rw /vol",
        "umount /mnt; ls /vol/d | tr '\\n' ' '; echo",
      ), ["-v", `${dir}:/vol`]);
      expect(got.stdout).toBe(lines("host", "same inode", "guest", "/", "touch: /mnt/x: Read-only file system", "g h ", ""));
      expect(got.status).toBe(0);
    } finally {
      cleanup();
    }
  });
});
