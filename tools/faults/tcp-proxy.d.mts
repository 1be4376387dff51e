// Types of tools/faults/tcp-proxy.mjs for the TypeScript tests.

/** Options of {@link TcpProxy.swallowNextReply}. */
export interface SwallowOptions {
  /** Null replies (e.g. an XREADGROUP that timed out) do not count. @default true */
  nonEmpty?: boolean;
  /** Close the connection right after swallowing, so the client never sees the reply. @default true */
  thenDrop?: boolean;
  /** Test the pattern on the whole request text (command, keys, arguments) instead of its name. @default false */
  onRequest?: boolean;
}

/** A Redis TCP proxy for one client process. */
export declare class TcpProxy {
  readonly target: { host: string; port: number };
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  frozen: boolean;
  latencyMs: number;
  /** Connections accepted so far. */
  connections: number;
  /** Connections closed by dropAll. */
  dropped: number;
  /** Replies swallowed so far. */
  readonly swallowed: Array<{ command: string; at: number }>;
  /** `url` (a redis:// URL of the target) pointed at this proxy: credentials and db kept. */
  urlFor(url: string): string;
  dropAll(): void;
  freeze(): void;
  unfreeze(): void;
  setLatency(ms: number): void;
  swallowNextReply(pattern: RegExp, options?: SwallowOptions): Promise<{ command: string; text: string }>;
  /** Forgets the swallow rules that did not match yet (their promises never settle). */
  cancelSwallows(): void;
  close(): Promise<void>;
}

/** End offset of the RESP value at `offset`, or -1 when incomplete. */
export declare function respEnd(buffer: Buffer, offset?: number): number;

/** Starts a proxy to `target` on a free loopback port (or on `port`). */
export declare function startTcpProxy(
  target: string | { host: string; port: number },
  port?: number,
): Promise<TcpProxy>;
