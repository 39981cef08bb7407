#!/usr/bin/env bash
# The project's one install step. Idempotent: each part first checks whether it is
# already in place and does nothing if it is.
#
#   bash scripts/setup.sh            install what is missing, say what it does
#   bash scripts/setup.sh --quiet    print nothing when everything is already in place
#   bash scripts/setup.sh --bench    also install qemu-user (used by `npm run bench`)
#
# Parts, in order; each one that has work to do prints a line with what it does and how
# long it took ("setup: [2/5] CPU engine: ... done (3.1 s)"):
#   1. npm dependencies (npm ci, or npm install without a lockfile); a node_modules that
#      is a symbolic link to another tree is that tree's business (npm ci would empty it).
#   2. the CPU engine: Unicorn 2.1.4 (the official release's libunicorn.so.2, taken
#      from its PyPI wheel) into .deps/unicorn/; fallback: Debian's libunicorn2.
#      LIBOS_UNICORN=/path/to/libunicorn.so.2 skips this part.
#   3. guest programs and tools for the tests: busybox-static, musl-tools, tmux
#      (and qemu-user with --bench); installed with apt-get when root, else a hint.
#   4. the TypeScript build into dist/ when any source is newer than dist/.build-stamp,
#      and the launcher's start-up bundle dist/bundle.js (scripts/build-bundle.mjs).
#   5. the guest's root image .deps/initfs.img (busybox, /etc, the samples) when missing
#      or older than its builder, busybox or a sample.
# Whether parts 1, 2, 4 and 5 are needed is decided by scripts/readiness.cjs, which the
# launcher also asks before each run (and calls this script only when something is due).
#
# All messages go to stderr so that `./libos run PROGRAM` keeps the program's stdout clean.
set -euo pipefail

QUIET=0
BENCH=0
for arg in "$@"; do
  case "$arg" in
    --quiet|-q) QUIET=1 ;;
    --bench) BENCH=1 ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup: unknown option '$arg' (use --quiet, --bench)" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

UNICORN_VERSION=2.1.4
DEPS_DIR="$ROOT/.deps"
ENGINE_LIB="$DEPS_DIR/unicorn/libunicorn.so.2"
# The stamps' names are shared with scripts/readiness.cjs.
NPM_STAMP="node_modules/.libos-setup-stamp"
BUILD_STAMP="dist/.build-stamp"
PARTS=5

IS_ROOT=0
[ "$(id -u)" = 0 ] && IS_ROOT=1

# A phase's line stays open ("setup: [2/5] CPU engine: ... ") until it ends with
# "done (3.1 s)", unless something else is printed first or commands print their output.
PHASE=""
PHASE_OPEN=0
PHASE_START=0
close_line() { if [ "$PHASE_OPEN" = 1 ]; then echo >&2; PHASE_OPEN=0; fi; }
say() { close_line; echo "setup: $*" >&2; }
info() { [ "$QUIET" = 1 ] || say "$@"; }

# phase N "name" "what it does": the line that opens part N.
phase() {
  close_line
  PHASE="[$1/$PARTS] $2"
  PHASE_START="${EPOCHREALTIME/./}"
  printf 'setup: %s: %s ... ' "$PHASE" "$3" >&2
  if [ "$QUIET" = 1 ]; then PHASE_OPEN=1; else echo >&2; fi
}

phase_done() {
  local us=$(( ${EPOCHREALTIME/./} - PHASE_START ))
  local took
  took="$(printf '%d.%d s' $(( us / 1000000 )) $(( us / 100000 % 10 )))"
  if [ "$PHASE_OPEN" = 1 ]; then echo "done ($took)" >&2; PHASE_OPEN=0; else say "$PHASE: done ($took)"; fi
}

# Run a command; quiet mode keeps its output in a log shown only if it fails.
run() {
  if [ "$QUIET" = 1 ]; then
    local log rc=0
    log="$(mktemp)"
    "$@" >"$log" 2>&1 </dev/null || rc=$?
    if [ "$rc" != 0 ]; then close_line; cat "$log" >&2; fi
    rm -f "$log"
    return "$rc"
  else
    "$@" </dev/null >&2
  fi
}

APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" = 0 ]; then
    run env DEBIAN_FRONTEND=noninteractive apt-get update -q || return 1
    APT_UPDATED=1
  fi
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# ---------------------------------------------------------------- checks (fast)

# The parts scripts/readiness.cjs finds missing or stale: npm, engine, build, initfs.
STALE=" $(node scripts/readiness.cjs) "
stale() { [[ "$STALE" == *" $1 "* ]]; }

system_engine() {
  local d
  for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/lib /usr/lib; do
    [ -e "$d/libunicorn.so.2" ] && { echo "$d/libunicorn.so.2"; return 0; }
  done
  if command -v ldconfig >/dev/null 2>&1; then
    ldconfig -p 2>/dev/null | awk '/libunicorn\.so\.2 /{print $NF; f=1; exit} END{exit !f}'
    return
  fi
  return 1
}

# Set when the pinned release could not be installed and the system's library is used,
# so that later runs do not try the download again.
ENGINE_FALLBACK_STAMP="$DEPS_DIR/.engine-fallback"

has_pkg() {
  # $1 = Debian package, $2 = command it provides
  if command -v dpkg-query >/dev/null 2>&1; then
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
  else
    command -v "$2" >/dev/null 2>&1
  fi
}

missing_pkgs() {
  local out=()
  has_pkg busybox-static busybox || out+=(busybox-static)
  has_pkg musl-tools musl-gcc || out+=(musl-tools)
  has_pkg tmux tmux || out+=(tmux)
  if [ "$BENCH" = 1 ]; then has_pkg qemu-user qemu-x86_64 || out+=(qemu-user); fi
  echo "${out[*]:-}"
}

# Optional packages that could not be installed (not root, or apt-get failed) are
# reported once per list in quiet mode; this file holds the list already reported.
PKG_STAMP="$DEPS_DIR/.packages-reported"
MISSING="$(missing_pkgs)"
pkgs_settled() {
  [ -z "$MISSING" ] && return 0
  [ "$QUIET" = 1 ] && [ -f "$PKG_STAMP" ] && [ "$(cat "$PKG_STAMP")" = "$MISSING" ]
}

# Everything in place? Then leave at once.
if [ "$STALE" = "  " ] && pkgs_settled; then
  info "everything is in place"
  exit 0
fi

# Something to do: one setup at a time (parallel launcher runs would race on dist/).
mkdir -p "$DEPS_DIR"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$DEPS_DIR/.setup.lock"
  flock 9
  # Another setup may have done it all while this one waited.
  STALE=" $(node scripts/readiness.cjs) "
fi

# ---------------------------------------------------------------- 1. npm packages

if stale npm && [ -L node_modules ]; then
  say "node_modules is a link to $(readlink node_modules) that lacks packages; setup leaves it alone (run npm ci where it points)"
elif stale npm; then
  if [ -f package-lock.json ]; then
    phase 1 "npm packages" "npm ci"
    run npm ci --no-audit --no-fund
  else
    phase 1 "npm packages" "npm install (no lockfile)"
    run npm install --no-audit --no-fund
  fi
  # koffi ships prebuilt binaries and needs no install script (npm may skip those).
  if ! node -e "require('koffi')" >/dev/null 2>&1; then
    say "the koffi package does not load after install:"
    node -e "require('koffi')" >&2 || true
    exit 1
  fi
  touch "$NPM_STAMP"
  phase_done
fi

# ---------------------------------------------------------------- 2. CPU engine

install_engine_from_wheel() {
  command -v python3 >/dev/null 2>&1 || return 1
  python3 -m pip --version >/dev/null 2>&1 || return 1
  local tmp whl rc=0
  tmp="$(mktemp -d)"
  if run python3 -m pip download --no-deps --only-binary=:all: "unicorn==$UNICORN_VERSION" -d "$tmp"; then
    whl="$(ls "$tmp"/unicorn-"$UNICORN_VERSION"-*.whl 2>/dev/null | head -n1)"
    if [ -n "$whl" ]; then
      mkdir -p "$(dirname "$ENGINE_LIB")"
      python3 - "$whl" "$ENGINE_LIB.tmp" <<'PY' || rc=$?
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("unicorn/lib/libunicorn.so.2") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
      if [ "$rc" = 0 ] && [ -s "$ENGINE_LIB.tmp" ]; then
        mv -f "$ENGINE_LIB.tmp" "$ENGINE_LIB"
      else
        rm -f "$ENGINE_LIB.tmp"
      fi
    fi
  fi
  rm -rf "$tmp"
  [ -s "$ENGINE_LIB" ]
}

if stale engine; then
  if [ -n "${LIBOS_UNICORN:-}" ]; then
    say "LIBOS_UNICORN=$LIBOS_UNICORN does not exist; installing the default engine"
  fi
  phase 2 "CPU engine" "Unicorn $UNICORN_VERSION from its PyPI wheel into .deps/unicorn/"
  if install_engine_from_wheel; then
    phase_done
  elif SYS_LIB="$(system_engine)"; then
    say "Unicorn $UNICORN_VERSION could not be installed; using the system's $SYS_LIB (slower)"
    touch "$ENGINE_FALLBACK_STAMP"
  elif [ "$IS_ROOT" = 1 ] && say "Unicorn $UNICORN_VERSION could not be installed; trying Debian's libunicorn2 (slower)" \
      && apt_install libunicorn2 && system_engine >/dev/null; then
    touch "$ENGINE_FALLBACK_STAMP"
    phase_done
  else
    say "no CPU engine: install Unicorn with 'pip download unicorn==$UNICORN_VERSION' (then set LIBOS_UNICORN to its unicorn/lib/libunicorn.so.2) or 'apt-get install libunicorn2'"
    exit 1
  fi
fi

# ---------------------------------------------------------------- 3. packages

if ! pkgs_settled; then
  if [ "$IS_ROOT" = 1 ]; then
    phase 3 "system packages" "apt-get install $MISSING"
    # shellcheck disable=SC2086 # a list of package names
    apt_install $MISSING || true
    MISSING="$(missing_pkgs)"
    phase_done
  fi
  if [ -n "$MISSING" ]; then
    say "hint: 'apt-get install $MISSING' as root (tests that need them are skipped until then)"
    echo "$MISSING" >"$PKG_STAMP"
  fi
fi

# ---------------------------------------------------------------- 4. build

if stale build; then
  phase 4 "build" "tsc -p tsconfig.build.json into dist/, the start-up bundle"
  # Taken before compiling, so that a source saved during the build triggers the next one.
  mkdir -p dist
  touch "$BUILD_STAMP.new"
  if ! run npx tsc -p tsconfig.build.json; then
    rm -f "$BUILD_STAMP.new"
    say "the TypeScript build failed"
    exit 1
  fi
  if ! run node scripts/build-bundle.mjs; then
    rm -f "$BUILD_STAMP.new"
    say "the start-up bundle could not be built"
    exit 1
  fi
  mv -f "$BUILD_STAMP.new" "$BUILD_STAMP"
  phase_done
  # The image's builder is part of the build.
  STALE=" $(node scripts/readiness.cjs) "
fi

# ---------------------------------------------------------------- 5. root image

if stale initfs; then
  phase 5 "root image" "busybox, /etc and the samples into .deps/initfs.img"
  if ! run node scripts/build-initfs.mjs --default; then
    say "the root image could not be built"
    exit 1
  fi
  phase_done
fi

if [ -n "$MISSING" ]; then info "ready, without $MISSING"; else info "everything is in place"; fi
exit 0
