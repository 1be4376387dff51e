import { runFromFields } from '../../src/wire/run-message.codec.js';

describe('wire: run stream message (fields t, s, a, k, g, d)', () => {
  it('reads every field', () => {
    const fields = ['t', 'g/t', 's', '1700000000000', 'a', '3', 'k', 'retry', 'g', '17.5', 'd', '2'];
    expect(runFromFields('1700000000001-0', true, fields)).toEqual({
      messageId: '1700000000001-0',
      highPriority: true,
      taskId: 'g/t',
      slot: 1700000000000,
      attempt: 3,
      kind: 'retry',
      generation: '17.5',
      deliveries: 3,
    });
  });

  it('reads a message of an earlier version: missing attempt, kind, generation and deliveries', () => {
    expect(runFromFields('1-0', false, ['t', 'g/t', 's', '1000'])).toEqual({
      messageId: '1-0',
      highPriority: false,
      taskId: 'g/t',
      slot: 1000,
      attempt: 1,
      kind: 'scheduled',
      generation: '',
      deliveries: 1,
    });
  });

  it("reads a triggered run's own kwargs (field w), and none when absent or not a JSON object", () => {
    expect(runFromFields('1-0', false, ['t', 'g/t', 's', '1000', 'w', '{"to":"ops"}']).kwargs).toEqual({ to: 'ops' });
    expect(runFromFields('1-0', false, ['t', 'g/t', 's', '1000'])).not.toHaveProperty('kwargs');
    expect(runFromFields('1-0', false, ['t', 'g/t', 's', '1000', 'w', 'oops'])).not.toHaveProperty('kwargs');
  });
});
