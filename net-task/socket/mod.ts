// Sockets without I/O and the set that holds them by handle.

export type { SocketContext } from "./context.ts";
export { formatEndpoint } from "./endpoint.ts";
export type { Endpoint } from "./endpoint.ts";
export { IcmpSocket } from "./icmp.ts";
export { Readiness, SocketBase } from "./readiness.ts";
export type { Waker } from "./readiness.ts";
export { EPHEMERAL_PORT_FIRST, EPHEMERAL_PORT_LAST, SocketSet } from "./socket_set.ts";
export type { AnySocket, PortSpace, SocketHandle } from "./socket_set.ts";
export { TcpSocket } from "./tcp.ts";
export type { TcpError, TcpInfo, TcpState } from "./tcp.ts";
export { TcpListener } from "./tcp_listener.ts";
export type { TcpListenerOptions } from "./tcp_listener.ts";
export type { TcpOptions } from "./tcp_options.ts";
export { UDP_MAX_PAYLOAD, UdpSocket } from "./udp.ts";
export type { DatagramOptions, DatagramSendError, ReceivedDatagram } from "./udp.ts";
