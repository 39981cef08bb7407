// Linux: include/uapi/linux/mqueue.h, include/linux/ipc_namespace.h (the limits).

/** Priorities are 0 … MQ_PRIO_MAX - 1. */
export const MQ_PRIO_MAX = 32768;
/** mq_maxmsg and mq_msgsize no one may pass, even with CAP_SYS_RESOURCE. */
export const HARD_MSGMAX = 65536;
export const HARD_MSGSIZEMAX = 16 * 1024 * 1024;
/** The defaults of /proc/sys/fs/mqueue and their lower bounds. */
export const DFLT_QUEUESMAX = 256;
export const DFLT_MSGMAX = 10;
export const DFLT_MSGSIZEMAX = 8192;
export const MIN_MSGMAX = 1;
export const MIN_MSGSIZEMAX = 128;
/** The bytes a notification cookie holds (SIGEV_THREAD's netlink message). */
export const NOTIFY_COOKIE_LEN = 32;
/** What a queue's accounting charges per message slot: struct msg_msg and a tree node. */
export const MQ_MSG_OVERHEAD = 48;
export const MQ_NODE_OVERHEAD = 48;

/** struct mq_attr: four longs and four reserved. */
export const SIZEOF_MQ_ATTR = 64;

export interface MqAttr {
  mq_flags: number;
  mq_maxmsg: number;
  mq_msgsize: number;
  mq_curmsgs: number;
}

export function decodeMqAttr(view: DataView, offset: number): MqAttr {
  const long = (i: number): number => Number(view.getBigInt64(offset + i * 8, true));
  return { mq_flags: long(0), mq_maxmsg: long(1), mq_msgsize: long(2), mq_curmsgs: long(3) };
}

/** All 64 bytes, the reserved ones zero. */
export function encodeMqAttr(view: DataView, offset: number, a: MqAttr): void {
  const values = [a.mq_flags, a.mq_maxmsg, a.mq_msgsize, a.mq_curmsgs, 0, 0, 0, 0];
  values.forEach((v, i) => view.setBigInt64(offset + i * 8, BigInt(v), true));
}
