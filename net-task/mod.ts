// The net-task's public face: the TCP/IP stack (wire formats, devices, interface, sockets).
// The IPC module that owns the socket table and the host-facing devices come later.

export * from "./wire/mod.ts";
export * from "./phy/mod.ts";
export * from "./iface/mod.ts";
export * from "./socket/mod.ts";
