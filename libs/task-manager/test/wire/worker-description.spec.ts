import { decodeWorkerDescription, encodeWorkerDescription } from '../../src/wire/worker-description.js';

describe('wire: worker description', () => {
  const description = { id: 'w-1', host: 'h', pid: 42, startedAt: 1000, isLeader: false, running: 2 };

  it('writes the exact wire string and round-trips', () => {
    expect(encodeWorkerDescription(description)).toBe(
      '{"id":"w-1","host":"h","pid":42,"startedAt":1000,"isLeader":false,"running":2}',
    );
    expect(decodeWorkerDescription(encodeWorkerDescription(description))).toEqual(description);
  });

  it('a missing or malformed description gives no details (the worker stays listed)', () => {
    for (const text of [undefined, '', '{', 'null', '3']) expect(decodeWorkerDescription(text)).toEqual({});
  });
});
