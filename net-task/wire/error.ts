// The wire layer's one error. Parsing never throws: a malformed, truncated or unsupported
// packet comes back as one of these shared constants (no allocation on the receive path),
// and the interface drops it with one trace line. The reason is for that line and tests.

export type WireErrorReason = "truncated" | "malformed" | "checksum" | "unsupported";

export class WireError {
  static readonly Truncated = new WireError("truncated");
  static readonly Malformed = new WireError("malformed");
  static readonly Checksum = new WireError("checksum");
  static readonly Unsupported = new WireError("unsupported");

  private constructor(readonly reason: WireErrorReason) {}

  toString(): string {
    return `Cannot parse packet: ${this.reason}`;
  }
}

/** A parse result: the parsed value or the error that stopped it. */
export type Parsed<T> = T | WireError;

export function isWireError(value: unknown): value is WireError {
  return value instanceof WireError;
}
