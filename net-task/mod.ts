// The net-task's public face: the TCP/IP stack (wire formats, devices, interface, sockets)
// and the host-facing devices (user-networking gateway, TAP).

export * from "./wire/mod.ts";
export * from "./phy/mod.ts";
export * from "./iface/mod.ts";
export * from "./socket/mod.ts";
export * from "./host/mod.ts";
