// A back end that fails on purpose, for the fs-task's failure tests. Built in the test's
// process (inproc, ipc) or by the worker from { type: "module", url: <this file> }.
//
//   fstat     throws an Error
//   isatty    throws a TypeError
//   readlink  returns something that is not a FileSystem result
//   close     exits the thread (process.exit inside a worker ends only the worker)
//   statfs    never returns
//   open("/never")  a Promise that never settles (and holds nothing)
//   anything else: DevFs

import { DevFs } from "../../../fs-task/devfs.ts";
import type { FsResult, FsStat, FsStatFs } from "../../../fs-task/file_system.ts";

export class FaultyFs extends DevFs {
  constructor() {
    super();
  }

  override open(path: string, flags: number, mode: number): number {
    if (path === "/never") return new Promise<number>(() => {}) as unknown as number;
    return super.open(path, flags, mode);
  }

  override fstat(_handle: number): FsResult<FsStat> {
    throw new Error("Cannot fstat: the back end broke");
  }

  override isatty(_handle: number): boolean {
    throw new TypeError("Cannot isatty: the back end broke");
  }

  override readlink(_path: string): FsResult<string> {
    return { not: "a string" } as unknown as string;
  }

  override close(_handle: number): number {
    process.exit(3);
  }

  override statfs(_path: string): FsResult<FsStatFs> {
    for (;;);
  }
}

export default function faultyFs(): FaultyFs {
  return new FaultyFs();
}
