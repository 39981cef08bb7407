// st_dev numbers for file systems with no device behind them (TmpFs, InitFs), one per
// instance so that (dev, ino) names a file across mounts. Linux: fs/super.c
// get_anon_bdev, which hands out 0:N; ours start above the numbers a small Linux system
// uses for its own anonymous mounts.

let nextMinor = 0x40;

/** A fresh 0:N device number, encoded as Linux's new_encode_dev. */
export function anonymousDev(): number {
  const minor = nextMinor++;
  return (minor & 0xff) | ((minor & ~0xff) << 12);
}
