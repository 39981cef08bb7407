// Fault kinds and the seL4 message labels their fault IPC carries
// (libsel4 seL4_Fault_tag, non-MCS numbering). The message words are the
// syscall shim's business; the kernel only sends them to the handler.

export type FaultKind = "UnknownSyscall" | "UserException" | "VMFault";

export const FaultLabel = {
  UnknownSyscall: 2,
  UserException: 3,
  VMFault: 5,
} as const satisfies Record<FaultKind, number>;
