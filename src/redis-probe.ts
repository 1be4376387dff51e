import { createConnection } from 'node:net';

/**
 * Whether a Redis answers PING at `address` (`host:port`) within `timeoutMs`: the demo's choice between
 * Redis and the in-process driver when REDIS_URL is not set.
 */
export function redisAnswers(address: string, timeoutMs = 500): Promise<boolean> {
  const separator = address.lastIndexOf(':');
  const host = address.slice(0, separator);
  const port = Number(address.slice(separator + 1));
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
