import { changeNotice, decodeNotice, encodeNotice } from '../../src/wire/notice.js';

describe('wire: change notice', () => {
  it('writes the exact wire string', () => {
    expect(encodeNotice(changeNotice('schedule', 'w-1'))).toBe('{"type":"schedule","origin":"w-1"}');
  });

  it('round-trips every type', () => {
    for (const type of ['schedule', 'tasks', 'leader-released', 'lease-handed-over'] as const) {
      expect(decodeNotice(encodeNotice(changeNotice(type, 'w')))).toEqual({ type, origin: 'w' });
    }
  });

  it('ignores a message that carries no notice', () => {
    for (const message of ['', 'x', 'null', '{}', '{"type":1}', '[]'])
      expect(decodeNotice(message), message).toBeUndefined();
  });
});
