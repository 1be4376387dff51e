import { describe, expect, it } from 'vitest';
import { ClusterClock } from '../src/engine/cluster-clock.js';

describe('ClusterClock', () => {
  it('estimates server - local time from replies, trusting the shortest round trip', () => {
    let local = 1_000_000;
    const clock = new ClusterClock({ now: () => local });
    expect(clock.now()).toBe(local);
    // The server runs 5 s ahead; a reply with a 10 ms round trip.
    clock.observe(local + 5000 + 5, local, local + 10);
    expect(clock.offsetMs).toBe(5000);
    // A late reply (1 s round trip, server time taken right away) does not drag the estimate.
    clock.observe(local + 5000, local, local + 1000);
    expect(clock.offsetMs).toBe(5000);
    local += 2000;
    expect(clock.now()).toBe(local + 5000);
    expect(clock.localTime(local + 6000)).toBe(local + 1000);
    expect(clock.until(local + 6000)).toBe(1000);
  });

  it('follows a change of the local clock once the old samples age out', () => {
    let local = 0;
    const clock = new ClusterClock({ now: () => local });
    for (let i = 0; i < 8; i++) clock.observe(local + 100, local, local);
    expect(clock.offsetMs).toBe(100);
    local = 50_000; // the host's clock jumped
    clock.observe(100, local, local);
    expect(clock.offsetMs).toBe(100 - 50_000);
  });
});
