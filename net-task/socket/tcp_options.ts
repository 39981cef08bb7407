// A TCP socket's settings, with Linux's defaults where Linux has one (net.ipv4.tcp_* sysctls
// and socket options); each socket holds its own copy, so setsockopt changes one socket.

export interface TcpOptions {
  /** Receive buffer in bytes (its size sets the window scale). Default 256 KiB. */
  rxBufferSize?: number;
  /** Send buffer in bytes. Default 256 KiB. */
  txBufferSize?: number;
  /** TCP_NODELAY: send short segments without waiting for outstanding data to be acked. */
  noDelay?: boolean;
  /** TCP_MAXSEG: an upper bound on the MSS we announce. */
  mss?: number | null;
  /** TIME-WAIT's length, 2·MSL (Linux: 60 s). */
  timeWait?: number;
  /** The delayed-ACK timeout (Linux's minimum: 40 ms); 0 acks every segment at once. */
  delayedAck?: number;
  /** SO_KEEPALIVE, TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT (Linux: 7200 s, 75 s, 9). */
  keepAlive?: boolean;
  keepAliveIdle?: number;
  keepAliveInterval?: number;
  keepAliveCount?: number;
  /** tcp_syn_retries (6) and tcp_retries2 (15). */
  synRetries?: number;
  dataRetries?: number;
  initialRto?: number;
  minRto?: number;
  maxRto?: number;
  windowScaling?: boolean;
  timestamps?: boolean;
  sack?: boolean;
  /** Called with one line per state transition. */
  trace?: ((line: string) => void) | null;
}

export type ResolvedTcpOptions = Required<TcpOptions>;

export function resolveTcpOptions(options: TcpOptions): ResolvedTcpOptions {
  return {
    rxBufferSize: 256 * 1024,
    txBufferSize: 256 * 1024,
    noDelay: false,
    mss: null,
    timeWait: 60_000,
    delayedAck: 40,
    keepAlive: false,
    keepAliveIdle: 7_200_000,
    keepAliveInterval: 75_000,
    keepAliveCount: 9,
    synRetries: 6,
    dataRetries: 15,
    initialRto: 1000,
    minRto: 200,
    maxRto: 120_000,
    windowScaling: true,
    timestamps: true,
    sack: true,
    trace: null,
    ...options,
  };
}
