// Types of tools/redis-server.mjs for the TypeScript tests.

/** A redis-server process started by {@link startRedisServer}. */
export interface RedisServerHandle {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The running process's pid (undefined while halted). */
  readonly pid: number | undefined;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s), waits for it to exit and removes its files. Idempotent. */
  stop(): Promise<void>;
  /** Sends a signal to the server process (e.g. SIGKILL to crash it, SIGSTOP/SIGCONT to freeze it). */
  kill(signal?: NodeJS.Signals): void;
  /** Stops the server process with `signal` (default SIGTERM) and waits for it to exit; `launch()` starts it again. */
  halt(signal?: NodeJS.Signals): Promise<void>;
  /** Starts a new, empty server on the same port and waits until it answers. */
  launch(): Promise<void>;
  /** `halt()` then `launch()`. */
  restart(): Promise<void>;
}

export const SERVER_BINARY_ENV: 'TM_REDIS_SERVER';
export function freePort(): Promise<number>;
export function findOnPath(name: string): string | undefined;
export function findRedisServer(): string | undefined;
export function pingRedis(url: string, timeoutMs?: number): Promise<boolean>;
export function dataNodeArgs(port: number, dir: string, host?: string): string[];
export function startRedisServer(options?: { startTimeoutMs?: number; binary?: string }): Promise<RedisServerHandle>;
