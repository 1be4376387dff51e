import { serverTimeMs } from '../../src/wire/server-time.js';

describe('wire: Redis TIME -> ms', () => {
  it('whole ms, the sub-millisecond part dropped (as includes/server-time.lua)', () => {
    expect(serverTimeMs(['1700000000', '123999'])).toBe(1700000000123);
    expect(serverTimeMs(['1700000000', '0'])).toBe(1700000000000);
    expect(serverTimeMs([1, 999])).toBe(1000);
  });
});
