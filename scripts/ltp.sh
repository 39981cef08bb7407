#!/usr/bin/env bash
# Runs the Linux Test Project's system-call tests under the LibOS (or natively, or under
# qemu-x86_64, for the comparison). Optional suite: LTP is not part of the project and CI
# cannot fetch it, so `npm test` does not run this.
#
#   bash scripts/ltp.sh [options] [LTP_SOURCE]
#
# Source and build:
#   LTP_SOURCE, --src DIR    an LTP source tree (or env LTP_SRC); needed only to build
#   --dir DIR                where the build and install go (env LTP_DIR; default .deps/ltp,
#                            git-ignored); the install is DIR/glibc or DIR/musl
#   --musl                   build with musl-gcc -static instead of glibc static
#   --build-only             build (when out of date) and stop
# Running:
#   --native | --qemu        run natively or under qemu-x86_64 (default: under the LibOS)
#   --filter REGEX           only the tests whose name matches (grep -E)
#   --timeout SEC            per-test time-out (default 60)
#   -j, --parallel N         tests run side by side (default 2)
#   --results FILE           one line per test, NAME STATUS (default DIR/results-RUNNER.txt);
#                            each test's output goes to FILE.logs/NAME.log
#   --fs-mode MODE           the LibOS's --fs-mode (inproc, ipc, worker)
#   --guest-tmpfs            TMPDIR is the LibOS's own /tmp tmpfs rather than a host directory
#
# Parts:
#   1. build: the Debian packages LTP's build needs (apt-get when root), then a copy of the
#      source in DIR/build-LIBC is configured and its syscalls tests built statically and
#      installed into DIR/LIBC. Skipped when DIR/LIBC/.stamp names the same source and
#      libc and no file of the source is newer than it.
#   2. run: each line `NAME COMMAND...` of runtest/syscalls, with LTPROOT, PATH
#      (testcases/bin first) and TMPDIR set, TMPDIR a fresh host directory per test. Under
#      the LibOS the guest sees only its image, the install (read-only) and that directory,
#      and LTP_DEV_FS_TYPE=tmpfs: the LibOS has loop devices but no disk file system (no
#      ext2 to mkfs and mount), so the tests that want a device (.needs_device,
#      .mount_device, .format_device) mount tmpfs instead, as LTP supports, and
#      .all_filesystems tests find tmpfs the only one (mount(2) says ENODEV to the others).
#      Natively and under qemu the test runs as the host's root in mount, pid, UTS and IPC
#      namespaces whose root file system is remounted read-only but for that directory
#      (tests such as gethostid01 or add_key05 would otherwise change /etc), and whose
#      processes all end with it.
#   3. classify: LTP's exit status is a bit set (TFAIL 1, TBROK 2, TWARN 4, TCONF 32):
#      0 PASS, 32 CONF, TBROK or a death by signal BROK, any other bit FAIL; killed at the
#      time-out TIMEOUT; under the LibOS, CRASH whenever the LibOS reported an internal
#      error or printed a JavaScript stack, whatever the status. A test whose program was
#      not built is SKIP. The counts go to stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

SRC="${LTP_SRC:-}"
DIR="${LTP_DIR:-$ROOT/.deps/ltp}"
LIBC=glibc
BUILD_ONLY=0
RUNNER=libos
FILTER=""
TIMEOUT=60
PARALLEL=2
RESULTS=""
FS_MODE=""
GUEST_TMPFS=0
BUILD_PACKAGES=(autoconf automake m4 libtool bison flex bc gcc make)

die() { echo "ltp: $*" >&2; exit 2; }
say() { echo "ltp: $*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --src) SRC="$2"; shift ;;
    --dir) DIR="$2"; shift ;;
    --musl) LIBC=musl ;;
    --build-only) BUILD_ONLY=1 ;;
    --native) RUNNER=native ;;
    --qemu) RUNNER=qemu ;;
    --filter) FILTER="$2"; shift ;;
    --timeout) TIMEOUT="$2"; shift ;;
    -j|--parallel) PARALLEL="$2"; shift ;;
    --results) RESULTS="$2"; shift ;;
    --fs-mode) FS_MODE="$2"; shift ;;
    --guest-tmpfs) GUEST_TMPFS=1 ;;
    -h|--help) sed -n '2,40p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) SRC="$1" ;;
  esac
  shift
done
[[ "$TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die "--timeout wants a number of seconds"
[[ "$PARALLEL" =~ ^[1-9][0-9]*$ ]] || die "--parallel wants a positive number"

mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd -P)"
INST="$DIR/$LIBC"
BUILD="$DIR/build-$LIBC"
STAMP="$INST/.stamp"

# ---- 1. build ---------------------------------------------------------------------------

install_packages() {
  local missing=() p
  [ "$LIBC" = musl ] && BUILD_PACKAGES+=(musl-tools linux-libc-dev)
  for p in "${BUILD_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} = 0 ] && return
  [ "$(id -u)" = 0 ] || die "LTP's build needs: ${missing[*]} (apt-get install them, or run as root)"
  say "installing ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

build_is_current() {
  [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$SRC $LIBC" ] &&
    [ -z "$(find "$SRC" -newer "$STAMP" -type f -print -quit)" ]
}

# musl's headers lack the kernel's UAPI ones; -idirafter a folder that links them in.
musl_cc() {
  local uapi="$DIR/musl-uapi"
  mkdir -p "$uapi"
  ln -sfn /usr/include/linux "$uapi/linux"
  ln -sfn /usr/include/asm-generic "$uapi/asm-generic"
  ln -sfn /usr/include/x86_64-linux-gnu/asm "$uapi/asm"
  echo "musl-gcc -idirafter $uapi"
}

build_ltp() {
  [ -n "$SRC" ] || die "no LTP build in $INST: give an LTP source tree (argument, --src or LTP_SRC)"
  [ -f "$SRC/configure.ac" ] || die "$SRC is not an LTP source tree"
  SRC="$(cd "$SRC" && pwd -P)"
  if build_is_current; then return; fi
  install_packages
  say "building LTP's syscalls tests ($LIBC, static) in $BUILD"
  # A copy keeps the source tree clean and lets a glibc and a musl build live side by side.
  if [ ! -f "$BUILD/.source" ] || [ "$(cat "$BUILD/.source")" != "$SRC" ]; then rm -rf "$BUILD"; fi
  mkdir -p "$BUILD"
  cp -a "$SRC/." "$BUILD/"
  echo "$SRC" >"$BUILD/.source"
  local cc=() log="$DIR/build-$LIBC.log"
  if [ "$LIBC" = musl ]; then
    cc=(CC="$(musl_cc)")
    # As LTP's own Alpine build does: these do not build against musl.
    rm -f "$BUILD"/testcases/kernel/syscalls/fmtmsg/fmtmsg01.c \
      "$BUILD"/testcases/kernel/syscalls/timer_create/timer_create0[13].c
  fi
  say "build log: $log"
  (
    cd "$BUILD"
    if [ ! -f config.status ]; then
      make autotools
      ./configure --prefix="$INST" --without-tirpc LDFLAGS=-static "${cc[@]}"
    fi
    make -j2 -C lib
    # -k: a test that does not build against this libc is left out, not the whole suite.
    make -k -j2 -C testcases/kernel/syscalls || true
    make -k -C testcases/kernel/syscalls install || true
    make -C runtest install
    # runtest/syscalls also names a few programs from elsewhere (ipc, security).
    local prog dir
    for prog in $(awk '!/^#/ && NF > 1 { print $2 }' runtest/syscalls | sort -u); do
      [ -x "$INST/testcases/bin/$prog" ] || find testcases -name "$prog.c" -printf '%h\n'
    done | sort -u | while read -r dir; do
      make -k -C "$dir" || true
      make -k -C "$dir" install || true
    done
  ) >"$log" 2>&1 || die "build failed: see $log"
  echo "$SRC $LIBC" >"$STAMP"
  say "installed into $INST"
}

if [ -n "$SRC" ] || [ ! -f "$STAMP" ]; then build_ltp; fi
[ "$BUILD_ONLY" = 1 ] && exit 0

# ---- 2. run -----------------------------------------------------------------------------

RESULTS="${RESULTS:-$DIR/results-$RUNNER.txt}"
mkdir -p "$(dirname "$RESULTS")"
RESULTS="$(cd "$(dirname "$RESULTS")" && pwd -P)/$(basename "$RESULTS")"
LOGS="$RESULTS.logs"
rm -rf "$LOGS"
mkdir -p "$LOGS"
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/ltp-run.XXXXXX")"
trap 'rm -rf "$SCRATCH"' EXIT
GUEST_PATH="$INST/testcases/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

case "$RUNNER" in
  libos)
    bash "$ROOT/scripts/setup.sh" --quiet
    # As bin/libos: room in libuv's pool for blocked host FIFO opens (pipeio's writers).
    LIBOS=(env UV_THREADPOOL_SIZE=64 node "$ROOT/dist/libos/cli.js" run --isolate ${FS_MODE:+--fs-mode "$FS_MODE"}
      -v "$INST:$INST:ro" -w /tmp -e LTPROOT="$INST" -e PATH="$GUEST_PATH" -e TMPDIR=/tmp
      -e LTP_COLORIZE_OUTPUT=0 -e LTP_DEV_FS_TYPE=tmpfs) ;;
  qemu) command -v qemu-x86_64 >/dev/null || die "qemu-x86_64 is missing (bash scripts/setup.sh --bench installs it)" ;;
esac
[ "$RUNNER" = libos ] || [ "$(id -u)" = 0 ] || die "--$RUNNER runs LTP as root in namespaces: run it as root"

# Natively and under qemu: the test as the host's root (LTP's tests switch to other users
# and need real capabilities, which a user namespace would take away), in mount, pid, UTS
# and IPC namespaces under a shell that stays their pid 1 (the library takes a parent of
# pid 1 for its own death), with the host's root file system remounted read-only but for
# the scratch directory ($1).
SANDBOX='mount --bind "$1" "$1" && mount -o remount,bind,ro / && cd "$1" && shift && "$@"; exit $?'

run_test() {
  local name="$1" prog="$2"
  shift 2
  local log="$LOGS/$name.log" tmp="$SCRATCH/$name" bin="$INST/testcases/bin/$prog" status rc=0
  if [ ! -x "$bin" ]; then echo SKIP >"$LOGS/$name.status"; return; fi
  # Mode 1777 as /tmp has: a test that drops to another user makes its directory there.
  mkdir -p "$tmp" && chmod 1777 "$tmp"
  local start=$SECONDS
  case "$RUNNER" in
    libos)
      local mount=(-v "$tmp:/tmp")
      [ "$GUEST_TMPFS" = 1 ] && mount=()
      timeout -k 5 "$TIMEOUT" "${LIBOS[@]}" "${mount[@]}" "$bin" "$@" >"$log" 2>&1 </dev/null || rc=$? ;;
    native|qemu)
      local emu=()
      [ "$RUNNER" = qemu ] && emu=(qemu-x86_64)
      timeout -k 5 "$TIMEOUT" unshare --mount --uts --ipc --pid --fork --kill-child --mount-proc \
        env -i HOME=/root LTPROOT="$INST" PATH="$GUEST_PATH" TMPDIR="$tmp" LTP_COLORIZE_OUTPUT=0 \
        sh -c "$SANDBOX" sandbox "$tmp" "${emu[@]}" "$bin" "$@" >"$log" 2>&1 </dev/null || rc=$? ;;
  esac
  local took=$((SECONDS - start))
  if [ "$RUNNER" = libos ] && grep -qE '^libos: (internal error|kernel-task error)|^    at .*(\.js|\.ts|node:internal)' "$log"; then
    status=CRASH
  elif { [ "$rc" = 124 ] || [ "$rc" = 137 ]; } && [ "$took" -ge "$TIMEOUT" ]; then
    status=TIMEOUT
  elif [ "$rc" = 0 ]; then status=PASS
  elif [ "$rc" = 32 ]; then status=CONF
  elif [ "$rc" -ge 64 ] || [ $((rc & 2)) != 0 ]; then status=BROK
  else status=FAIL
  fi
  echo "exit status $rc after ${took}s: $status" >>"$log"
  echo "$status" >"$LOGS/$name.status"
  rm -rf "$tmp"
}

TESTS="$SCRATCH/tests"
grep -vE '^\s*(#|$)' "$INST/runtest/syscalls" | awk -v re="$FILTER" 're == "" || $1 ~ re' >"$TESTS"
say "$(wc -l <"$TESTS") tests, $PARALLEL at a time, ${TIMEOUT}s each, runner $RUNNER; logs in $LOGS"

started=$SECONDS
running=0
while read -r -a line; do
  if [ "$running" -ge "$PARALLEL" ]; then wait -n || true; running=$((running - 1)); fi
  run_test "${line[@]}" &
  running=$((running + 1))
done <"$TESTS"
wait

# ---- 3. results, in runtest order -------------------------------------------------------

while read -r name _; do echo "$name $(cat "$LOGS/$name.status" 2>/dev/null || echo CRASH)"; done <"$TESTS" >"$RESULTS"
echo "runner $RUNNER, $(wc -l <"$RESULTS") tests in $((SECONDS - started))s; results in $RESULTS"
for s in PASS FAIL CONF BROK TIMEOUT CRASH SKIP; do
  printf '%-8s %d\n' "$s" "$(grep -c " $s\$" "$RESULTS" || true)"
done
