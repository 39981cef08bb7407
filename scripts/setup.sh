#!/usr/bin/env bash
# The project's one install step. Idempotent: each part first checks whether it is
# already in place and does nothing if it is.
#
#   bash scripts/setup.sh            install what is missing, say what it does
#   bash scripts/setup.sh --quiet    print nothing when everything is already in place
#   bash scripts/setup.sh --bench    also install qemu-user (used by `npm run bench`)
#
# Parts, in order:
#   1. npm dependencies (npm ci, or npm install without a lockfile)
#   2. the CPU engine: Unicorn 2.1.4 (the official release's libunicorn.so.2, taken
#      from its PyPI wheel) into .deps/unicorn/; fallback: Debian's libunicorn2.
#      LIBOS_UNICORN=/path/to/libunicorn.so.2 skips this part.
#   3. guest programs and tools for the tests: busybox-static, musl-tools, tmux
#      (and qemu-user with --bench); installed with apt-get when root, else a hint.
#   4. the TypeScript build into dist/ when any source is newer than dist/.build-stamp.
#   5. the guest's root image .deps/initfs.img (busybox, /etc, the samples) when missing
#      or older than its builder, busybox or a sample.
#
# All messages go to stderr so that `./libos run PROGRAM` keeps the program's stdout clean.
set -euo pipefail

QUIET=0
BENCH=0
for arg in "$@"; do
  case "$arg" in
    --quiet|-q) QUIET=1 ;;
    --bench) BENCH=1 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup: unknown option '$arg' (use --quiet, --bench)" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

UNICORN_VERSION=2.1.4
DEPS_DIR="$ROOT/.deps"
ENGINE_LIB="$DEPS_DIR/unicorn/libunicorn.so.2"
NPM_STAMP="node_modules/.libos-setup-stamp"
BUILD_STAMP="dist/.build-stamp"
BUILD_DIRS=(microkernel syscall-shim linux-abi libos fs-task net-task bench)
BUILD_CONFIGS=(tsconfig.json tsconfig.build.json package.json)

IS_ROOT=0
[ "$(id -u)" = 0 ] && IS_ROOT=1

say() { echo "setup: $*" >&2; }
info() { [ "$QUIET" = 1 ] || say "$@"; }

# Run a command; quiet mode keeps its output in a log shown only if it fails.
run() {
  if [ "$QUIET" = 1 ]; then
    local log rc=0
    log="$(mktemp)"
    "$@" >"$log" 2>&1 </dev/null || rc=$?
    if [ "$rc" != 0 ]; then cat "$log" >&2; fi
    rm -f "$log"
    return "$rc"
  else
    "$@" </dev/null >&2
  fi
}

APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" = 0 ]; then
    say "apt-get update"
    run env DEBIAN_FRONTEND=noninteractive apt-get update -q || return 1
    APT_UPDATED=1
  fi
  say "apt-get install $*"
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# ---------------------------------------------------------------- checks (fast)

lockfile() { if [ -f package-lock.json ]; then echo package-lock.json; else echo package.json; fi; }

npm_needed() {
  [ -d node_modules ] || return 0
  [ -f node_modules/koffi/package.json ] && [ -e node_modules/.bin/tsc ] || return 0
  local stamp="$NPM_STAMP"
  [ -e "$stamp" ] || stamp=node_modules/.package-lock.json
  [ -e "$stamp" ] || return 0
  [ "$(lockfile)" -nt "$stamp" ] && return 0
  return 1
}

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

engine_needed() {
  if [ -n "${LIBOS_UNICORN:-}" ] && [ -f "$LIBOS_UNICORN" ]; then return 1; fi
  [ -s "$ENGINE_LIB" ] && return 1
  [ -e "$ENGINE_FALLBACK_STAMP" ] && system_engine >/dev/null && return 1
  return 0
}

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

build_needed() {
  [ -d dist ] && [ -f "$BUILD_STAMP" ] || return 0
  local dirs=() d
  for d in "${BUILD_DIRS[@]}"; do [ -d "$d" ] && dirs+=("$d"); done
  for d in "${BUILD_CONFIGS[@]}"; do [ "$d" -nt "$BUILD_STAMP" ] && return 0; done
  [ "${#dirs[@]}" = 0 ] && return 1
  [ -n "$(find "${dirs[@]}" -name '*.ts' -newer "$BUILD_STAMP" -print -quit 2>/dev/null)" ]
}

INITFS_IMAGE="$DEPS_DIR/initfs.img"
INITFS_BUILDER=dist/fs-task/initfs_builder.js

initfs_needed() {
  [ -x /bin/busybox ] || return 1
  [ -f "$INITFS_IMAGE" ] || return 0
  [ "$INITFS_BUILDER" -nt "$INITFS_IMAGE" ] || [ /bin/busybox -nt "$INITFS_IMAGE" ] && return 0
  [ -n "$(find samples -type f -newer "$INITFS_IMAGE" -print -quit 2>/dev/null)" ]
}

# Optional packages that could not be installed (not root, or apt-get failed) are
# reported once per list in quiet mode; this file holds the list already reported.
PKG_STAMP="$DEPS_DIR/.packages-reported"
MISSING="$(missing_pkgs)"
pkgs_settled() {
  [ -z "$MISSING" ] && return 0
  [ "$QUIET" = 1 ] && [ -f "$PKG_STAMP" ] && [ "$(cat "$PKG_STAMP")" = "$MISSING" ]
}

# Everything in place? Then leave at once (the launcher calls this on every run).
if ! npm_needed && ! engine_needed && ! build_needed && ! initfs_needed; then
  if pkgs_settled; then
    info "everything is in place"
    exit 0
  fi
fi

# Something to do: one setup at a time (parallel launcher runs would race on dist/).
mkdir -p "$DEPS_DIR"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$DEPS_DIR/.setup.lock"
  flock 9
fi

# ---------------------------------------------------------------- 1. npm packages

if npm_needed; then
  if [ -f package-lock.json ]; then
    say "installing npm packages (npm ci)"
    ci_log="$(mktemp)"
    if ! npm ci --no-audit --no-fund </dev/null >"$ci_log" 2>&1; then
      # npm ci refuses a lockfile that lacks some platform's optional packages;
      # npm install resolves those, and --no-save leaves package-lock.json untouched.
      say "npm ci failed ($(grep -m1 -E '^npm error [^c ]|npm error Missing' "$ci_log" | sed 's/^npm error //' || true)); trying npm install --no-save"
      if ! run npm install --no-save --no-audit --no-fund; then
        cat "$ci_log" >&2
        rm -f "$ci_log"
        exit 1
      fi
    elif [ "$QUIET" = 0 ]; then
      cat "$ci_log" >&2
    fi
    rm -f "$ci_log"
  else
    say "installing npm packages (npm install)"
    run npm install --no-audit --no-fund
  fi
  # koffi ships prebuilt binaries and needs no install script (npm may skip those).
  if ! node -e "require('koffi')" >/dev/null 2>&1; then
    say "the koffi package does not load after install:"
    node -e "require('koffi')" >&2 || true
    exit 1
  fi
  touch "$NPM_STAMP"
fi

# ---------------------------------------------------------------- 2. CPU engine

install_engine_from_wheel() {
  command -v python3 >/dev/null 2>&1 || return 1
  python3 -m pip --version >/dev/null 2>&1 || return 1
  local tmp whl rc=0
  tmp="$(mktemp -d)"
  say "downloading Unicorn $UNICORN_VERSION (PyPI wheel)"
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

if engine_needed; then
  if [ -n "${LIBOS_UNICORN:-}" ]; then
    say "LIBOS_UNICORN=$LIBOS_UNICORN does not exist; installing the default engine"
  fi
  if install_engine_from_wheel; then
    info "engine: Unicorn $UNICORN_VERSION installed into .deps/unicorn/"
  elif SYS_LIB="$(system_engine)"; then
    say "Unicorn $UNICORN_VERSION could not be installed; using the system's $SYS_LIB (slower)"
    touch "$ENGINE_FALLBACK_STAMP"
  elif [ "$IS_ROOT" = 1 ] && apt_install libunicorn2 && system_engine >/dev/null; then
    say "Unicorn $UNICORN_VERSION could not be installed; installed Debian's libunicorn2 (slower)"
    touch "$ENGINE_FALLBACK_STAMP"
  else
    say "no CPU engine: install Unicorn with 'pip download unicorn==$UNICORN_VERSION' (then set LIBOS_UNICORN to its unicorn/lib/libunicorn.so.2) or 'apt-get install libunicorn2'"
    exit 1
  fi
fi

# ---------------------------------------------------------------- 3. packages

if ! pkgs_settled; then
  # shellcheck disable=SC2086 # a list of package names
  if [ "$IS_ROOT" = 1 ] && apt_install $MISSING; then
    MISSING="$(missing_pkgs)"
  fi
  if [ -n "$MISSING" ]; then
    say "hint: 'apt-get install $MISSING' as root (tests that need them are skipped until then)"
    echo "$MISSING" >"$PKG_STAMP"
  fi
fi

# ---------------------------------------------------------------- 4. build

if build_needed; then
  say "building (tsc -p tsconfig.build.json)"
  # Taken before compiling, so that a source saved during the build triggers the next one.
  mkdir -p dist
  touch "$BUILD_STAMP.new"
  if ! run npx tsc -p tsconfig.build.json; then
    rm -f "$BUILD_STAMP.new"
    say "the TypeScript build failed"
    exit 1
  fi
  mv -f "$BUILD_STAMP.new" "$BUILD_STAMP"
fi

# ---------------------------------------------------------------- 5. root image

if initfs_needed; then
  info "building the guest's root image (.deps/initfs.img)"
  if ! run node scripts/build-initfs.mjs --default; then
    say "the root image could not be built"
    exit 1
  fi
fi

if [ -n "$MISSING" ]; then info "ready, without $MISSING"; else info "everything is in place"; fi
exit 0
