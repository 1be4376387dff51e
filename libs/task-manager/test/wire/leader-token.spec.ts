import { leaderToken, ownEpoch, parseLeaderToken } from '../../src/wire/leader-token.js';

describe('wire: leader token `<workerId>|<epoch>`', () => {
  it('writes the exact wire string', () => {
    expect(leaderToken('api-1:42:ab12', 7)).toBe('api-1:42:ab12|7');
  });

  it('round-trips, also for a worker id that contains `|` (the epoch follows the last one)', () => {
    for (const workerId of ['w', 'api-1:42:ab12', 'a|b', '']) {
      expect(parseLeaderToken(leaderToken(workerId, 12))).toEqual({ workerId, epoch: 12 });
    }
  });

  it("ownEpoch: the epoch of the worker's own lease, as acquire-leader checks it (prefix `<workerId>|`)", () => {
    expect(ownEpoch('w-1|3', 'w-1')).toBe(3);
    expect(ownEpoch('w-1|3', 'w-2')).toBeUndefined();
    expect(ownEpoch('w-10|3', 'w-1')).toBeUndefined();
  });
});
