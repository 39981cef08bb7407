// Devices: the Device contract, loopback, the in-memory Ethernet link, the fault injector.

export type { Device, Medium } from "./device.ts";
export { FaultInjector } from "./fault_injector.ts";
export type { FaultOptions, FaultStats } from "./fault_injector.ts";
export { parseFaultSpec } from "./fault_spec.ts";
export { FrameQueue } from "./frame_queue.ts";
export { LinkEnd, createLink } from "./link.ts";
export type { LinkOptions } from "./link.ts";
export { Loopback } from "./loopback.ts";
export { SeededRandom, cryptoU32 } from "./prng.ts";
