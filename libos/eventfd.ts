// eventfd objects (Linux: fs/eventfd.c): a 64-bit counter behind a descriptor.
//
//   read     8 bytes or more (fewer: EINVAL): the counter, which drops to 0
//            (EFD_SEMAPHORE: 1, and the counter drops by 1); -EAGAIN while it is 0.
//   write    exactly 8 bytes (else EINVAL, as Linux 6 checks it): adds them as a value;
//            ~0 is EINVAL; -EAGAIN while the sum would pass 0xfffffffffffffffe.
//   poll     POLLIN while the counter is above 0, POLLOUT while a write of 1 would go in.
// Blocking and O_NONBLOCK are the syscall
// layer's (sys/_io.ts); each change notifies `readiness` keyed as Linux keys it (a read
// makes room: POLLOUT; a write, even of 0, is new data: POLLIN, an EPOLLET edge).

import { EAGAIN, EINVAL } from "../linux-abi/errno.ts";
import { EFD_MAX } from "../linux-abi/eventfd.ts";
import { POLLIN, POLLOUT } from "../linux-abi/poll.ts";
import { AnonInodeFile } from "./anon_inode.ts";
import { WaitQueue } from "./wait_queue.ts";

const U64_MAX = 0xffffffffffffffffn;

export class EventFd extends AnonInodeFile {
  readonly readiness = new WaitQueue();
  #count: bigint;

  constructor(
    initial: number,
    readonly semaphore: boolean,
  ) {
    super("eventfd");
    this.#count = BigInt(initial);
  }

  get count(): bigint {
    return this.#count;
  }

  override read(dst: Uint8Array): number {
    if (dst.length < 8) return -EINVAL;
    if (this.#count === 0n) return -EAGAIN;
    const value = this.semaphore ? 1n : this.#count;
    this.#count -= value;
    new DataView(dst.buffer, dst.byteOffset, 8).setBigUint64(0, value, true);
    this.readiness.notify(POLLOUT);
    return 8;
  }

  override write(src: Uint8Array): number {
    if (src.length !== 8) return -EINVAL;
    const value = new DataView(src.buffer, src.byteOffset, 8).getBigUint64(0, true);
    if (value === U64_MAX) return -EINVAL;
    if (EFD_MAX - this.#count < value) return -EAGAIN;
    this.#count += value;
    this.readiness.notify(POLLIN);
    return 8;
  }

  poll(): number {
    return (this.#count > 0n ? POLLIN : 0) | (EFD_MAX > this.#count ? POLLOUT : 0);
  }
}
