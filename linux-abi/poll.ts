// Linux: include/uapi/asm-generic/poll.h (poll events, struct pollfd) and
// include/uapi/linux/eventpoll.h (epoll; struct epoll_event is packed on x86-64: 12 bytes).

export const POLLIN = 0x0001;
export const POLLPRI = 0x0002;
export const POLLOUT = 0x0004;
export const POLLERR = 0x0008;
export const POLLHUP = 0x0010;
export const POLLNVAL = 0x0020;
export const POLLRDNORM = 0x0040;
export const POLLRDBAND = 0x0080;
export const POLLWRNORM = 0x0100;
export const POLLWRBAND = 0x0200;
export const POLLMSG = 0x0400;
export const POLLREMOVE = 0x1000;
export const POLLRDHUP = 0x2000;

/** struct pollfd: 8 bytes. */
export interface Pollfd {
  fd: number;
  events: number;
  revents: number;
}
export const SIZEOF_POLLFD = 8;

export function decodePollfd(view: DataView, offset: number): Pollfd {
  return {
    fd: view.getInt32(offset, true),
    events: view.getUint16(offset + 4, true),
    revents: view.getUint16(offset + 6, true),
  };
}

/** Write only revents, the field poll(2) returns. */
export function encodePollfdRevents(view: DataView, offset: number, revents: number): void {
  view.setUint16(offset + 6, revents, true);
}

export const EPOLL_CLOEXEC = 0o2000000;
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;
export const EPOLLIN = 0x00000001;
export const EPOLLPRI = 0x00000002;
export const EPOLLOUT = 0x00000004;
export const EPOLLERR = 0x00000008;
export const EPOLLHUP = 0x00000010;
export const EPOLLNVAL = 0x00000020;
export const EPOLLRDNORM = 0x00000040;
export const EPOLLRDBAND = 0x00000080;
export const EPOLLWRNORM = 0x00000100;
export const EPOLLWRBAND = 0x00000200;
export const EPOLLMSG = 0x00000400;
export const EPOLLRDHUP = 0x00002000;
export const EPOLL_URING_WAKE = 1 << 27;
export const EPOLLEXCLUSIVE = 1 << 28;
export const EPOLLWAKEUP = 1 << 29;
export const EPOLLONESHOT = 1 << 30;
export const EPOLLET = 0x80000000;

/** struct epoll_event. `data` is the caller's 64-bit cookie, kept exact as a bigint. */
export interface EpollEvent {
  events: number;
  data: bigint;
}
export const SIZEOF_EPOLL_EVENT = 12;

export function encodeEpollEvent(view: DataView, offset: number, ev: EpollEvent): void {
  view.setUint32(offset, ev.events, true);
  view.setBigUint64(offset + 4, ev.data, true);
}

export function decodeEpollEvent(view: DataView, offset: number): EpollEvent {
  return { events: view.getUint32(offset, true), data: view.getBigUint64(offset + 4, true) };
}
