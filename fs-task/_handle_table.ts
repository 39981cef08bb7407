// HandleTable: the small integers a back end hands out for open objects. Like Linux's
// fd allocation, a new handle takes the lowest free number.

export class HandleTable<T> {
  #slots: (T | undefined)[] = [];
  /** No slot below this index is free. */
  #lowestFree = 0;

  add(value: T): number {
    let handle = this.#lowestFree;
    while (this.#slots[handle] !== undefined) handle++;
    this.#slots[handle] = value;
    this.#lowestFree = handle + 1;
    return handle;
  }

  get(handle: number): T | undefined {
    return Number.isInteger(handle) && handle >= 0 ? this.#slots[handle] : undefined;
  }

  /** Frees `handle` and returns what it held, or undefined if it was not open. */
  delete(handle: number): T | undefined {
    const value = this.get(handle);
    if (value === undefined) return undefined;
    this.#slots[handle] = undefined;
    if (handle < this.#lowestFree) this.#lowestFree = handle;
    while (this.#slots.length > 0 && this.#slots[this.#slots.length - 1] === undefined) this.#slots.pop();
    return value;
  }
}
