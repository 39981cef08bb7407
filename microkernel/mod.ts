// Public face of the microkernel: kernel objects, capabilities, IPC and the
// scheduler. Code inside microkernel/ imports concrete files instead.

export { AddressSpace, ADDRESS_SPACE_BYTES } from "./address_space.ts";
export { Capability, deriveError, isBadgeable } from "./capability.ts";
export type { SlotOwner } from "./capability.ts";
export { CNode, CNODE_SLOT_BYTES, copyInto, deleteCap, revokeCap } from "./cnode.ts";
export { Endpoint, ENDPOINT_BYTES } from "./endpoint.ts";
export type { EndpointState } from "./endpoint.ts";
export { KernelError, setUserErrorTracing, takeUserErrors, userError } from "./errors.ts";
export type { KernelErrorCode } from "./errors.ts";
export { FaultLabel } from "./fault.ts";
export type { FaultKind } from "./fault.ts";
export { defaultFrameAllocator, Frame, frameBytes, PAGE_BYTES } from "./frame.ts";
export type { FrameAllocator, FrameMemory } from "./frame.ts";
export { DEFAULT_ROOT_CNODE_RADIX, Kernel, RootSlot } from "./kernel.ts";
export { IpcTap } from "./ipc_tap.ts";
export type { IpcObserver } from "./ipc_tap.ts";
export type { InvocationResult, IpcResult, KernelOptions, TcbConfig } from "./kernel.ts";
export {
  clampExtraCaps,
  clampLength,
  createMessageBuffer,
  getWord,
  getWordHi,
  getWordLo,
  MessageInfo,
  MSG_MAX_EXTRA_CAPS,
  MSG_MAX_WORDS,
  setWord,
  setWordParts,
} from "./message.ts";
export type { IpcStatus, MessageBuffer } from "./message.ts";
export { Notification, NOTIFICATION_BYTES, orBadges } from "./notification.ts";
export { KernelObject } from "./object.ts";
export type { MemorySource, ObjectKind } from "./object.ts";
export { PassiveServer } from "./passive.ts";
export type { PassiveHandler } from "./passive.ts";
export { Reply } from "./reply.ts";
export { AllRights, hasRights, maskRights, NoRights, Rights } from "./rights.ts";
export type { RightsMask } from "./rights.ts";
export { DEFAULT_TIME_SLICE_MS, MAX_PRIORITY, MIN_PRIORITY, Scheduler } from "./scheduler.ts";
export { Tcb, TCB_BYTES } from "./tcb.ts";
export type { Blocker, TcbOptions, ThreadKind, ThreadState } from "./tcb.ts";
export { MAX_CNODE_RADIX, MAX_RETYPE_COUNT, objectBytes, Untyped } from "./untyped.ts";
export type { ObjectEnv, RetypeOptions, RetypeResult } from "./untyped.ts";
