import { decodeOneOffEntry, encodeOneOffEntry, type OneOffEntry } from '../../src/wire/one-off-entry.js';

describe('wire: one-off queue entry `[taskId, slot, attempt, kind]`', () => {
  const entry: OneOffEntry = { taskId: 'reports/daily', slot: 1700000000000, attempt: 2, kind: 'retry' };

  it('writes the exact wire string (what the Lua scripts write: cjson of the same array)', () => {
    expect(encodeOneOffEntry(entry)).toBe('["reports\\/daily",1700000000000,2,"retry"]');
    // cjson escapes `/` and DEL, which JSON.stringify leaves as they are; the rest alike.
    expect(encodeOneOffEntry({ taskId: 'a/"b"\\\x7f\n\u0001é', slot: 0, attempt: 1, kind: 'trigger' })).toBe(
      '["a\\/\\"b\\"\\\\\\u007f\\n\\u0001é",0,1,"trigger"]',
    );
  });

  it('round-trips', () => {
    expect(decodeOneOffEntry(encodeOneOffEntry(entry))).toEqual(entry);
    const odd = { ...entry, taskId: 'a/"b"\\\x7f\n\u0001é' };
    expect(decodeOneOffEntry(encodeOneOffEntry(odd))).toEqual(odd);
    for (const kind of ['scheduled', 'retry', 'trigger'] as const) {
      const e = { ...entry, kind };
      expect(decodeOneOffEntry(encodeOneOffEntry(e))).toEqual(e);
    }
  });

  it('reads entries written by earlier versions, and refuses what is no entry', () => {
    // An attempt missing or not a number reads as the first attempt.
    expect(decodeOneOffEntry('["g/t",1000]')).toEqual({ taskId: 'g/t', slot: 1000, attempt: 1, kind: undefined });
    expect(decodeOneOffEntry('["g/t",1000,"x","retry"]')?.attempt).toBe(1);
    for (const member of ['', 'g/t', '{}', '[1,1000,1,"retry"]', '["g/t","1000",1,"retry"]', '["g/t",null]', 'null']) {
      expect(decodeOneOffEntry(member), member).toBeUndefined();
    }
  });

  it('a run with its own kwargs: a 5th element, their JSON text; an entry without them has 4 elements', () => {
    const withKwargs: OneOffEntry = { ...entry, kind: 'trigger', kwargs: { to: 'a/b', n: [1] } };
    expect(encodeOneOffEntry(withKwargs)).toBe(
      '["reports\\/daily",1700000000000,2,"trigger","{\\"to\\":\\"a\\/b\\",\\"n\\":[1]}"]',
    );
    expect(decodeOneOffEntry(encodeOneOffEntry(withKwargs))).toEqual(withKwargs);
    expect(JSON.parse(encodeOneOffEntry(entry))).toHaveLength(4);
    // Text that is not a JSON object gives no kwargs (the run takes its task's).
    expect(decodeOneOffEntry('["g/t",1000,1,"trigger","[1]"]')).toEqual({
      taskId: 'g/t',
      slot: 1000,
      attempt: 1,
      kind: 'trigger',
    });
  });
});
