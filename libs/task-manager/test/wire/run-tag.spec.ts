import { isHighPriority, parseRunTag, priorityOf, runTag } from '../../src/wire/run-tag.js';

describe('wire: run tag `<priority>|<message id>`', () => {
  it('writes the exact wire string', () => {
    expect(runTag(true, '1700000000000-0')).toBe('h|1700000000000-0');
    expect(runTag(false, '1700000000000-12')).toBe('n|1700000000000-12');
    expect([priorityOf(true), priorityOf(false)]).toEqual(['h', 'n']);
  });

  it('round-trips', () => {
    for (const highPriority of [true, false]) {
      for (const messageId of ['1-0', '1700000000000-99', '0-1']) {
        expect(parseRunTag(runTag(highPriority, messageId))).toEqual({ highPriority, messageId });
      }
    }
  });

  it('reads a priority: only `h` is high', () => {
    expect([isHighPriority('h'), isHighPriority('n'), isHighPriority('')]).toEqual([true, false, false]);
  });
});
