// st_dev numbers for file systems with no device behind them (TmpFs, InitFs), one per
// instance so that (dev, ino) names a file across mounts. Linux: fs/super.c
// get_anon_bdev, which hands out 0:N; ours start above the numbers a small Linux system
// uses for its own anonymous mounts. Each user kernel numbers its own (as each Linux
// system does): a guest's st_dev never tells how many file systems another kernel made.

const FIRST_MINOR = 0x40;

export class AnonDevices {
  #nextMinor = FIRST_MINOR;

  /** A fresh 0:N device number, encoded as Linux's new_encode_dev. */
  next(): number {
    const minor = this.#nextMinor++;
    return (minor & 0xff) | ((minor & ~0xff) << 12);
  }
}
