// koffi, the foreign-function interface every host binding goes through (the engine's
// library, libc, KVM, TAP), loaded once for all of this thread's modules:
//
//   const k = koffi();   the module; throws (as require("koffi") does) where it cannot load
//
// The package's entry, index.js, is a bundle whose install-time helpers load node:https
// (with tls, http and net), node:zlib and node:crypto as it starts: about two thirds of
// the ~15 ms that require("koffi") took in a hello's start-up. What answers every call is
// the native module it wraps (the wrapper adds only deprecated aliases, which nothing here
// uses), so that module is required straight from the package's build folder for this
// platform when it is there and of the package's version; else the package itself, which
// looks for its module as it always does (musl, other architectures) or says why it cannot.

import { createRequire } from "node:module";
import { dirname, join } from "node:path";

type Koffi = typeof import("koffi");

const require = createRequire(import.meta.url);
let loaded: Koffi | undefined;

/** The koffi module, loaded on the first call. */
export function koffi(): Koffi {
  return (loaded ??= nativeModule() ?? (require("koffi") as Koffi));
}

/** The package's native module for this platform, or null when it is not the plain one. */
function nativeModule(): Koffi | null {
  try {
    const manifest = require.resolve("koffi/package.json");
    const { version } = require(manifest) as { version: string };
    const file = join(dirname(manifest), "build", "koffi", `${process.platform}_${process.arch}`, "koffi.node");
    const native = require(file) as Koffi & { version?: string };
    return native.version === version ? native : null;
  } catch {
    return null;
  }
}
