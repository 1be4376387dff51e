import { messages } from '../task-manager.messages.js';

/**
 * Redis could not be reached (refused, closed, timed out, unknown host, refused credentials, TLS mismatch).
 * The message names the server (`host:port`, the sentinels or the Cluster startup nodes) and the reason, never a
 * password.
 */
export class RedisUnreachableError extends Error {
  override readonly name = 'RedisUnreachableError';

  /**
   * @param target the server, as `describeRedisTarget` names it (no credentials)
   * @param reason why the last attempt failed (credentials already redacted)
   * @param options.waitedMs set when boot gave up after waiting this long (`waitForRedisMs`)
   */
  constructor(
    readonly target: string,
    readonly reason: string,
    options: ErrorOptions & { waitedMs?: number } = {},
  ) {
    super(
      options.waitedMs === undefined
        ? messages.redisUnreachable(target, reason)
        : messages.redisNotReachedWithin(target, options.waitedMs, reason),
      { cause: options.cause },
    );
  }
}
