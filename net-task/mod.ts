// The net-task's public face: the TCP/IP stack (wire formats, devices, interface, sockets),
// the host-facing devices (user-networking gateway, TAP) and the IPC module (ipc/), which owns
// the socket table and reaches the kernel-task in three modes.

export * from "./wire/mod.ts";
export * from "./phy/mod.ts";
export * from "./iface/mod.ts";
export * from "./socket/mod.ts";
export * from "./ipc/mod.ts";
export * from "./host/mod.ts";
