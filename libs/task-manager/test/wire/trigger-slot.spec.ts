import { Logger } from '@nestjs/common';
import { createMemoryCoordination } from '../../src/memory/memory-coordination.js';
import { MemoryStore } from '../../src/memory/memory-store.js';
import { realTimers } from '../../src/engine/timers.js';
import { triggerSlot } from '../../src/wire/trigger-slot.js';

// Simulator seeds 253 and 1831 (docs/simulation.md): a trigger applied in the very millisecond of a cron slot
// was a second run with the slot's run id (task, slot, attempt 1): both ran and both were recorded.
describe('wire: the slot of a manual trigger is never a cron slot (whole seconds)', () => {
  it('a trigger on a whole second takes the next millisecond; any other keeps its time', () => {
    expect(triggerSlot(1_700_000_000_000)).toBe(1_700_000_000_001);
    expect(triggerSlot(0)).toBe(1);
    expect(triggerSlot(1_700_000_000_001)).toBe(1_700_000_000_001);
    expect(triggerSlot(1_700_000_000_999)).toBe(1_700_000_000_999);
  });

  it('the in-memory driver queues a trigger applied on a whole second off the cron slot', async () => {
    const at = 1_700_000_000_000;
    const store = new MemoryStore({ ...realTimers, now: () => at });
    const logger = new Logger('test');
    logger.warn = () => undefined;
    const port = createMemoryCoordination(
      { statisticsHistoryRuns: 10, statisticsRedisExpiration: 60, partitions: 1 },
      'w',
      logger,
      store,
    );
    await port.state.trigger(['g/t']);
    const due = (await port.schedule.fetchDue(at + 10, 10)).filter((d) => d.source === 'oneOff');
    expect(due).toEqual([expect.objectContaining({ taskId: 'g/t', slot: at + 1, attempt: 1, kind: 'trigger' })]);
  });
});
