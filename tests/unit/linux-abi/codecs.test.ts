// Encoders write every byte of their struct (padding as zero) where the layout says; decoders
// read back what encoders wrote.
import { describe, expect, it } from "vitest";
import * as abi from "../../../linux-abi/mod.ts";

/** A view over `len` bytes of 0xaa, so unwritten bytes show. */
function dirty(len: number): DataView {
  return new DataView(new Uint8Array(len).fill(0xaa).buffer);
}

function bytes(v: DataView, from: number, to: number): number[] {
  return [...new Uint8Array(v.buffer, from, to - from)];
}

const STAT: abi.Stat = {
  st_dev: 0x803, st_ino: 2 ** 40 + 7, st_nlink: 3, st_mode: abi.S_IFREG | 0o4755, st_uid: 1000, st_gid: 100,
  st_rdev: 0, st_size: 2 ** 33 + 1, st_blksize: 4096, st_blocks: 16, st_atime: 1_700_000_000, st_atime_nsec: 999_999_999,
  st_mtime: -1, st_mtime_nsec: 1, st_ctime: 0, st_ctime_nsec: 0,
};

describe("stat", () => {
  it("encodeStat() writes 144 bytes with zeroed padding, decodeStat() reads them back", () => {
    const v = dirty(abi.SIZEOF_STAT + 8);
    abi.encodeStat(v, 4, STAT);
    expect(abi.decodeStat(v, 4)).toEqual(STAT);
    expect(bytes(v, 4 + 36, 4 + 40)).toEqual([0, 0, 0, 0]);
    expect(bytes(v, 4 + 120, 4 + 144)).toEqual(new Array(24).fill(0));
    expect(bytes(v, 0, 4)).toEqual([0xaa, 0xaa, 0xaa, 0xaa]);
    expect(bytes(v, 148, 152)).toEqual([0xaa, 0xaa, 0xaa, 0xaa]);
    expect(v.getUint32(4 + 24, true)).toBe(0o104755);
    expect(v.getInt32(4 + 88 + 4, true)).toBe(-1); // st_mtime = -1: all ones
  });

  it("encodeStatx() writes 256 bytes, spare fields zeroed", () => {
    const stx: abi.Statx = {
      stx_mask: abi.STATX_BASIC_STATS, stx_blksize: 4096, stx_attributes: 0, stx_nlink: 1, stx_uid: 0, stx_gid: 0,
      stx_mode: abi.S_IFDIR | 0o755, stx_ino: 2, stx_size: 4096, stx_blocks: 8, stx_attributes_mask: abi.STATX_ATTR_APPEND,
      stx_atime: { tv_sec: 1, tv_nsec: 2 }, stx_btime: { tv_sec: 3, tv_nsec: 4 }, stx_ctime: { tv_sec: 5, tv_nsec: 6 },
      stx_mtime: { tv_sec: -7, tv_nsec: 8 }, stx_rdev_major: 0, stx_rdev_minor: 0, stx_dev_major: 8, stx_dev_minor: 1,
      stx_mnt_id: 42, stx_dio_mem_align: 0, stx_dio_offset_align: 0,
    };
    const v = dirty(abi.SIZEOF_STATX);
    abi.encodeStatx(v, 0, stx);
    expect(abi.decodeStatx(v, 0)).toEqual(stx);
    expect(bytes(v, 30, 32)).toEqual([0, 0]);
    expect(bytes(v, 160, 256)).toEqual(new Array(96).fill(0));
    expect(bytes(v, 64 + 12, 64 + 16)).toEqual([0, 0, 0, 0]); // stx_atime.__reserved
  });
});

describe("time", () => {
  it("timespec, timeval and itimerval round-trip, negative seconds included", () => {
    const v = dirty(32);
    abi.encodeTimespec(v, 0, { tv_sec: -2, tv_nsec: 999_999_999 });
    expect(abi.decodeTimespec(v, 0)).toEqual({ tv_sec: -2, tv_nsec: 999_999_999 });
    abi.encodeTimeval(v, 16, { tv_sec: 2 ** 40, tv_usec: 5 });
    expect(abi.decodeTimeval(v, 16)).toEqual({ tv_sec: 2 ** 40, tv_usec: 5 });
    const it: abi.Itimerval = { it_interval: { tv_sec: 0, tv_usec: 100 }, it_value: { tv_sec: 3, tv_usec: 0 } };
    abi.encodeItimerval(v, 0, it);
    expect(abi.decodeItimerval(v, 0)).toEqual(it);
  });

  it("itimerspec and timezone round-trip", () => {
    const v = dirty(abi.SIZEOF_ITIMERSPEC);
    const its: abi.Itimerspec = { it_interval: { tv_sec: 1, tv_nsec: 500_000_000 }, it_value: { tv_sec: 2 ** 33, tv_nsec: 0 } };
    abi.encodeItimerspec(v, 0, its);
    expect(abi.decodeItimerspec(v, 0)).toEqual(its);
    expect(v.getUint32(abi.ITIMERSPEC_FIELDS.it_value + 4, true)).toBe(2);
    const tz = dirty(abi.SIZEOF_TIMEZONE);
    abi.encodeTimezone(tz, 0, { tz_minuteswest: -60, tz_dsttime: 0 });
    expect(abi.decodeTimezone(tz, 0)).toEqual({ tz_minuteswest: -60, tz_dsttime: 0 });
    expect(tz.getInt32(0, true)).toBe(-60);
  });

  it("tms round-trips as four clock_t", () => {
    const v = dirty(abi.SIZEOF_TMS);
    const t = { tms_utime: 1, tms_stime: 2, tms_cutime: 3, tms_cstime: 2 ** 40 };
    abi.encodeTms(v, 0, t);
    expect([0, 8, 16].map((o) => v.getUint32(o, true) + v.getUint32(o + 4, true))).toEqual([1, 2, 3]);
    expect(abi.decodeTms(v, 0)).toEqual(t);
  });
});

describe("termios", () => {
  it("termios and termios2 round-trip", () => {
    const c_cc = new Uint8Array(abi.NCCS);
    c_cc[abi.VINTR] = 3;
    c_cc[abi.VMIN] = 1;
    const t: abi.Termios2 = {
      c_iflag: abi.ICRNL | abi.IXON, c_oflag: abi.OPOST | abi.ONLCR, c_cflag: abi.B38400 | abi.CS8 | abi.CREAD,
      c_lflag: abi.ISIG | abi.ICANON | abi.ECHO, c_line: 0, c_cc, c_ispeed: 38400, c_ospeed: 38400,
    };
    const v = dirty(abi.SIZEOF_TERMIOS2);
    abi.encodeTermios2(v, 0, t);
    expect(abi.decodeTermios2(v, 0)).toEqual(t);
    const { c_ispeed: _i, c_ospeed: _o, ...plain } = t;
    expect(abi.decodeTermios(v, 0)).toEqual(plain);
    expect(v.getUint8(abi.TERMIOS_FIELDS.c_cc + abi.VINTR)).toBe(3);
  });

  it("winsize round-trips", () => {
    const v = dirty(abi.SIZEOF_WINSIZE);
    abi.encodeWinsize(v, 0, { ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0 });
    expect(abi.decodeWinsize(v, 0)).toEqual({ ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0 });
  });
});

describe("utsname", () => {
  it("encodeNewUtsname() NUL-pads each 65-byte field and cuts long names to 64 bytes", () => {
    const v = dirty(abi.SIZEOF_NEW_UTSNAME);
    abi.encodeNewUtsname(v, 0, {
      sysname: "Linux", nodename: "n".repeat(70), release: "6.1.0", version: "#1 SMP", machine: "x86_64", domainname: "(none)",
    });
    expect(bytes(v, 0, 6)).toEqual([76, 105, 110, 117, 120, 0]);
    expect(bytes(v, 5, 65)).toEqual(new Array(60).fill(0));
    expect(bytes(v, 65, 65 + 64)).toEqual(new Array(64).fill(0x6e));
    expect(v.getUint8(65 + 64)).toBe(0);
    expect(bytes(v, abi.NEW_UTSNAME_FIELDS.machine, abi.NEW_UTSNAME_FIELDS.machine + 7)).toEqual([120, 56, 54, 95, 54, 52, 0]);
  });
});

describe("dirent", () => {
  it("dirent64RecordLength() counts header, UTF-8 name and NUL, rounded to 8", () => {
    expect(abi.dirent64RecordLength(".")).toBe(24);
    expect(abi.dirent64RecordLength("hello")).toBe(32);
    expect(abi.dirent64RecordLength("abcd")).toBe(24);
    expect(abi.dirent64RecordLength("abcde")).toBe(32);
    expect(abi.dirent64RecordLength("é".repeat(3))).toBe(32); // 6 bytes of UTF-8
  });

  it("encodeDirent64() writes one record with zeroed padding", () => {
    const v = dirty(40);
    const n = abi.encodeDirent64(v, 0, { d_ino: 12, d_off: 34, d_type: abi.DT_REG, d_name: "hello" });
    expect(n).toBe(32);
    expect(v.getUint32(0, true)).toBe(12);
    expect(v.getUint32(8, true)).toBe(34);
    expect(v.getUint16(16, true)).toBe(32);
    expect(v.getUint8(18)).toBe(abi.DT_REG);
    expect(bytes(v, 19, 32)).toEqual([104, 101, 108, 108, 111, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(v.getUint8(32)).toBe(0xaa);
  });

  it("encodeDirent() puts d_type in the record's last byte", () => {
    const v = dirty(32);
    const n = abi.encodeDirent(v, 0, { d_ino: 1, d_off: 2, d_type: abi.DT_DIR, d_name: "etc" });
    expect(n).toBe(abi.direntRecordLength("etc"));
    expect(n).toBe(24);
    expect(bytes(v, 18, 24)).toEqual([101, 116, 99, 0, 0, abi.DT_DIR]);
  });

  it("IFTODT() maps a mode to its DT_ type", () => {
    expect(abi.IFTODT(abi.S_IFDIR | 0o755)).toBe(abi.DT_DIR);
    expect(abi.IFTODT(abi.S_IFLNK | 0o777)).toBe(abi.DT_LNK);
  });
});

describe("resource and sysinfo", () => {
  it("rlimit maps RLIM_INFINITY to all ones and back", () => {
    const v = dirty(abi.SIZEOF_RLIMIT);
    abi.encodeRlimit(v, 0, { rlim_cur: 1024, rlim_max: abi.RLIM_INFINITY });
    expect(bytes(v, 8, 16)).toEqual(new Array(8).fill(0xff));
    expect(abi.decodeRlimit(v, 0)).toEqual({ rlim_cur: 1024, rlim_max: abi.RLIM_INFINITY });
  });

  it("encodeRusage() writes the times and counters at their offsets", () => {
    const v = dirty(abi.SIZEOF_RUSAGE);
    const zero = { tv_sec: 0, tv_usec: 0 };
    abi.encodeRusage(v, 0, {
      ru_utime: { tv_sec: 1, tv_usec: 2 }, ru_stime: zero, ru_maxrss: 3, ru_ixrss: 0, ru_idrss: 0, ru_isrss: 0,
      ru_minflt: 4, ru_majflt: 0, ru_nswap: 0, ru_inblock: 0, ru_oublock: 0, ru_msgsnd: 0, ru_msgrcv: 0,
      ru_nsignals: 0, ru_nvcsw: 5, ru_nivcsw: 6,
    });
    expect(abi.decodeTimeval(v, 0)).toEqual({ tv_sec: 1, tv_usec: 2 });
    expect(v.getUint32(abi.RUSAGE_FIELDS.ru_maxrss, true)).toBe(3);
    expect(v.getUint32(abi.RUSAGE_FIELDS.ru_minflt, true)).toBe(4);
    expect(v.getUint32(abi.RUSAGE_FIELDS.ru_nivcsw, true)).toBe(6);
    expect(bytes(v, 0, abi.SIZEOF_RUSAGE)).not.toContain(0xaa);
  });

  it("decodeRusage() reads back what encodeRusage() wrote", () => {
    const v = dirty(abi.SIZEOF_RUSAGE);
    const ru: abi.Rusage = {
      ru_utime: { tv_sec: 3, tv_usec: 4 }, ru_stime: { tv_sec: 5, tv_usec: 6 }, ru_maxrss: 2 ** 40, ru_ixrss: 1, ru_idrss: 2,
      ru_isrss: 3, ru_minflt: 4, ru_majflt: 5, ru_nswap: 6, ru_inblock: 7, ru_oublock: 8, ru_msgsnd: 9, ru_msgrcv: 10,
      ru_nsignals: 11, ru_nvcsw: 12, ru_nivcsw: -1,
    };
    abi.encodeRusage(v, 0, ru);
    expect(abi.decodeRusage(v, 0)).toEqual(ru);
  });

  it("sysinfo writes all 112 bytes and round-trips", () => {
    const v = dirty(abi.SIZEOF_SYSINFO);
    const si: abi.Sysinfo = {
      uptime: 930, loads: [100448, 58112, 29536], totalram: 2 ** 34, freeram: 2 ** 33, sharedram: 0, bufferram: 0,
      totalswap: 0, freeswap: 0, procs: 143, totalhigh: 0, freehigh: 0, mem_unit: 1,
    };
    abi.encodeSysinfo(v, 0, si);
    expect(abi.decodeSysinfo(v, 0)).toEqual(si);
    expect(bytes(v, 0, abi.SIZEOF_SYSINFO)).not.toContain(0xaa);
    expect(v.getUint32(abi.SYSINFO_FIELDS.loads + 8, true)).toBe(58112);
    expect(v.getUint32(abi.SYSINFO_FIELDS.totalram + 4, true)).toBe(4);
    expect(v.getUint16(abi.SYSINFO_FIELDS.procs, true)).toBe(143);
    expect(v.getUint32(abi.SYSINFO_FIELDS.mem_unit, true)).toBe(1);
  });
});

describe("signal, uio, poll, sched", () => {
  it("sigaction round-trips a full 64-bit mask", () => {
    const v = dirty(abi.SIZEOF_SIGACTION);
    const sa: abi.Sigaction = { sa_handler: 0x401000, sa_flags: abi.SA_RESTORER | abi.SA_RESETHAND, sa_restorer: 0x401200, sa_mask: (1n << 63n) | 1n };
    abi.encodeSigaction(v, 0, sa);
    expect(abi.decodeSigaction(v, 0)).toEqual({ ...sa, sa_flags: 0x84000000 });
    expect(v.getUint32(abi.SIGACTION_FIELDS.sa_flags + 4, true)).toBe(0);
    expect(v.getUint32(abi.SIGACTION_FIELDS.sa_flags, true)).toBe(0x84000000);
  });

  it("stack_t round-trips and zeroes its padding", () => {
    const v = dirty(abi.SIZEOF_STACK_T);
    abi.encodeStackT(v, 0, { ss_sp: 0x7f0000000000, ss_flags: abi.SS_ONSTACK, ss_size: abi.SIGSTKSZ });
    expect(abi.decodeStackT(v, 0)).toEqual({ ss_sp: 0x7f0000000000, ss_flags: abi.SS_ONSTACK, ss_size: abi.SIGSTKSZ });
    expect(bytes(v, 12, 16)).toEqual([0, 0, 0, 0]);
  });

  it("iovec round-trips", () => {
    const v = dirty(abi.SIZEOF_IOVEC * 2);
    abi.encodeIovec(v, 16, { iov_base: 0x7ffc00001000, iov_len: 4096 });
    expect(abi.decodeIovec(v, 16)).toEqual({ iov_base: 0x7ffc00001000, iov_len: 4096 });
  });

  it("pollfd and epoll_event codecs", () => {
    const v = dirty(abi.SIZEOF_POLLFD);
    v.setInt32(0, -1, true);
    v.setUint16(4, abi.POLLIN | abi.POLLOUT, true);
    abi.encodePollfdRevents(v, 0, abi.POLLHUP);
    expect(abi.decodePollfd(v, 0)).toEqual({ fd: -1, events: abi.POLLIN | abi.POLLOUT, revents: abi.POLLHUP });
    const e = dirty(abi.SIZEOF_EPOLL_EVENT);
    const events = (abi.EPOLLIN | abi.EPOLLET) >>> 0;
    abi.encodeEpollEvent(e, 0, { events, data: 0xffffffffffffffffn });
    expect(abi.decodeEpollEvent(e, 0)).toEqual({ events, data: 0xffffffffffffffffn });
  });

  it("decodeCloneArgs() reads only the size the caller passed", () => {
    const v = dirty(abi.CLONE_ARGS_SIZE_VER2);
    for (let off = 0; off < abi.CLONE_ARGS_SIZE_VER2; off += 8) {
      v.setUint32(off, off + 1, true);
      v.setUint32(off + 4, 0, true);
    }
    const args = abi.decodeCloneArgs(v, 0, abi.CLONE_ARGS_SIZE_VER0);
    expect(args.flags).toBe(1);
    expect(args.tls).toBe(abi.CLONE_ARGS_FIELDS.tls + 1);
    expect([args.set_tid, args.set_tid_size, args.cgroup]).toEqual([0, 0, 0]);
    expect(abi.decodeCloneArgs(v, 0, abi.CLONE_ARGS_SIZE_VER2).cgroup).toBe(abi.CLONE_ARGS_FIELDS.cgroup + 1);
  });
});

describe("ioctl and wait", () => {
  it("_IOC() encodes direction, type, number and size", () => {
    expect(abi._IOR(0x54, 0x2a, 44)).toBe(0x802c542a);
    expect(abi._IOW(0x54, 0x2b, 44)).toBe(0x402c542b);
    expect(abi._IOWR(0x54, 0x43, 8)).toBe(0xc0085443);
    expect(abi._IO(0x54, 0x41)).toBe(0x5441);
  });

  it("wait status constructors", () => {
    expect(abi.W_EXITCODE(3, 0)).toBe(0x300);
    expect(abi.W_STOPCODE(abi.SIGSTOP)).toBe(0x137f);
  });
});
