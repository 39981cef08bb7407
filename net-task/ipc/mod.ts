// The net-task's IPC module: the socket table and the NetApi it answers, the driver loop,
// the protocol and its three transports (inproc, ipc, worker).

export { NO_ADDRESS, SocketKind } from "./api.ts";
export type { NetApi, NetEndpoint, NetInterfaceInfo, NetRecv, NetSocketRow, NetTcpInfo, ReadinessSink } from "./api.ts";
export { buildDevice, hasDeviceKind } from "./devices.ts";
export type { DeviceSpec, ExternalDevice, ExternalNetInfo } from "./devices.ts";
export { createNetTask } from "./net_task.ts";
export type { NetLaunch } from "./net_task.ts";
export { NetStack } from "./net_stack.ts";
export type { ExternalNetConfig, NetConfig } from "./net_stack.ts";
export { NET_PROTOCOL } from "./protocol.ts";
export { NetService } from "./socket_table.ts";
export type { NetClient, NetMode } from "./transport.ts";
