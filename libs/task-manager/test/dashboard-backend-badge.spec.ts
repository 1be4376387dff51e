/** The dashboard header's backend badge (a plain browser module, tested here under Node). */
import { backendBadge } from '../src/dashboard/assets/format.js';

describe('backendBadge', () => {
  it('names the in-process driver instead of claiming a Redis connection', () => {
    expect(backendBadge({ driver: 'memory', redis_connected: false })).toEqual({
      kind: 'neutral',
      text: 'In-process driver (no Redis)',
    });
  });

  it('says whether Redis answers on the Redis driver', () => {
    expect(backendBadge({ driver: 'redis', redis_connected: true })).toEqual({ kind: 'ok', text: 'Redis connected' });
    expect(backendBadge({ driver: 'redis', redis_connected: false })).toEqual({
      kind: 'bad',
      text: 'Redis unreachable',
    });
  });
});
