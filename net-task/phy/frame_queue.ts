// A bounded FIFO of frames (a growable ring of references): the queues inside the loopback
// device and the in-memory link. Pushing onto a full queue fails, as a full device queue
// drops (Linux's netdev backlog).

export class FrameQueue {
  readonly #limit: number;
  #items: (Uint8Array | undefined)[] = [];
  #head = 0;
  #count = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get length(): number { return this.#count; }

  push(frame: Uint8Array): boolean {
    if (this.#count >= this.#limit) return false;
    if (this.#count === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#count) % this.#items.length] = frame;
    this.#count++;
    return true;
  }

  shift(): Uint8Array | null {
    if (this.#count === 0) return null;
    const frame = this.#items[this.#head]!;
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#items.length;
    this.#count--;
    return frame;
  }

  #grow(): void {
    const items: (Uint8Array | undefined)[] = new Array(Math.max(16, this.#items.length * 2));
    for (let i = 0; i < this.#count; i++) items[i] = this.#items[(this.#head + i) % this.#items.length];
    this.#items = items;
    this.#head = 0;
  }
}
