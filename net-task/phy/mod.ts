// Devices: the Device contract, loopback, the in-memory Ethernet link, the frame ring (a
// link across threads), the learning switch, the fault injector.

export type { Device, Medium } from "./device.ts";
export { FaultInjector } from "./fault_injector.ts";
export type { FaultOptions, FaultStats } from "./fault_injector.ts";
export { parseFaultSpec } from "./fault_spec.ts";
export { FrameQueue } from "./frame_queue.ts";
export { FrameRingEnd, createFrameRing, frameRingTraffic } from "./frame_ring.ts";
export type { FrameRingStats } from "./frame_ring.ts";
export { LearningSwitch } from "./learning_switch.ts";
export type { SwitchOptions, SwitchPortStats, SwitchStats } from "./learning_switch.ts";
export { LinkEnd, createLink } from "./link.ts";
export type { LinkOptions } from "./link.ts";
export { Loopback } from "./loopback.ts";
export { SeededRandom, cryptoU32 } from "./prng.ts";
