import { describe, expect, it } from 'vitest';
import type { DueItem } from '../src/engine/coordination.port.js';
import { planDueItem, planUnknown, type PlannerSettings } from '../src/engine/slot-planner.js';
import type { TaskDefinition } from '../src/registry/task-definition.js';
import { encodeTaskId } from '../src/registry/task-id.js';
import { makeTask } from './support/task-definition.fixture.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

const SETTINGS: PlannerSettings = {
  misfireToleranceMs: 5000,
  misfireMaxRuns: 10,
};

function scheduled(task: TaskDefinition, slot: number): DueItem {
  return { source: 'scheduled', taskId: task.id, slot, rawScore: String(slot) };
}

describe('planDueItem: slot seen on time', () => {
  it('publishes exactly that slot and chains the next slot after it', () => {
    const task = makeTask();
    const due = scheduled(task, at('2026-01-01T10:05:00Z'));
    const plan = planDueItem(task, due, at('2026-01-01T10:05:00.200Z'), SETTINGS);
    expect(plan).toEqual({
      due,
      nextSlot: at('2026-01-01T10:10:00Z'),
      slots: [at('2026-01-01T10:05:00Z')],
      highPriority: false,
      allowParallel: true,
      attempt: 1,
      kind: 'scheduled',
    });
  });

  it('copies highPriority and allowParallel from the task', () => {
    const task = makeTask({ highPriority: true, allowParallel: false });
    const plan = planDueItem(task, scheduled(task, at('2026-01-01T10:05:00Z')), at('2026-01-01T10:05:00Z'), SETTINGS);
    expect(plan.highPriority).toBe(true);
    expect(plan.allowParallel).toBe(false);
  });

  it('still counts as on time up to misfireToleranceMs late (inclusive), whatever the policy', () => {
    for (const misfirePolicy of ['runOnce', 'skip', 'runAll'] as const) {
      const task = makeTask({ misfirePolicy });
      const slot = at('2026-01-01T10:05:00Z');
      const plan = planDueItem(task, scheduled(task, slot), slot + SETTINGS.misfireToleranceMs, SETTINGS);
      expect(plan.kind).toBe('scheduled');
      expect(plan.slots).toEqual([slot]);
      expect(plan.nextSlot).toBe(at('2026-01-01T10:10:00Z'));
    }
  });

  it('counts as missed 1 ms past the tolerance', () => {
    const task = makeTask({ misfirePolicy: 'skip' });
    const slot = at('2026-01-01T10:05:00Z');
    const plan = planDueItem(task, scheduled(task, slot), slot + SETTINGS.misfireToleranceMs + 1, SETTINGS);
    expect(plan.kind).toBe('misfire');
    expect(plan.slots).toEqual([]);
  });
});

describe('planDueItem: missed slot', () => {
  // Slots every 5 minutes; the leader was away from 10:05 until 10:32.
  const missed = at('2026-01-01T10:05:00Z');
  const now = at('2026-01-01T10:32:00Z');

  it('runOnce: one run, at the latest missed slot; next slot in the future', () => {
    const task = makeTask({ misfirePolicy: 'runOnce' });
    const plan = planDueItem(task, scheduled(task, missed), now, SETTINGS);
    expect(plan.kind).toBe('misfire');
    expect(plan.attempt).toBe(1);
    expect(plan.slots.map(iso)).toEqual(['2026-01-01T10:30:00.000Z']);
    expect(iso(plan.nextSlot)).toBe('2026-01-01T10:35:00.000Z');
    expect(plan.nextSlot).toBeGreaterThan(now);
  });

  it('runOnce with only the missed slot itself in range: runs that slot', () => {
    const task = makeTask({ misfirePolicy: 'runOnce' });
    const plan = planDueItem(task, scheduled(task, missed), at('2026-01-01T10:09:00Z'), SETTINGS);
    expect(plan.slots).toEqual([missed]);
    expect(iso(plan.nextSlot)).toBe('2026-01-01T10:10:00.000Z');
  });

  it('skip: no run; next slot in the future', () => {
    const task = makeTask({ misfirePolicy: 'skip' });
    const plan = planDueItem(task, scheduled(task, missed), now, SETTINGS);
    expect(plan.kind).toBe('misfire');
    expect(plan.slots).toEqual([]);
    expect(iso(plan.nextSlot)).toBe('2026-01-01T10:35:00.000Z');
  });

  it('runAll: every missed slot, oldest first, when under misfireMaxRuns', () => {
    const task = makeTask({ misfirePolicy: 'runAll' });
    const plan = planDueItem(task, scheduled(task, missed), now, SETTINGS);
    expect(plan.kind).toBe('misfire');
    expect(plan.slots.map(iso)).toEqual([
      '2026-01-01T10:05:00.000Z',
      '2026-01-01T10:10:00.000Z',
      '2026-01-01T10:15:00.000Z',
      '2026-01-01T10:20:00.000Z',
      '2026-01-01T10:25:00.000Z',
      '2026-01-01T10:30:00.000Z',
    ]);
    expect(iso(plan.nextSlot)).toBe('2026-01-01T10:35:00.000Z');
  });

  it('runAll: bounded by misfireMaxRuns, keeping the latest slots, oldest first', () => {
    const task = makeTask({ misfirePolicy: 'runAll' });
    const plan = planDueItem(task, scheduled(task, missed), now, {
      ...SETTINGS,
      misfireMaxRuns: 3,
    });
    expect(plan.slots.map(iso)).toEqual([
      '2026-01-01T10:20:00.000Z',
      '2026-01-01T10:25:00.000Z',
      '2026-01-01T10:30:00.000Z',
    ]);
    expect(iso(plan.nextSlot)).toBe('2026-01-01T10:35:00.000Z');
  });

  it('runAll after a long outage never exceeds misfireMaxRuns', () => {
    const task = makeTask({
      misfirePolicy: 'runAll',
      expression: '* * * * * *',
    });
    const plan = planDueItem(
      task,
      scheduled(task, at('2026-01-01T00:00:00Z')),
      at('2026-01-02T00:00:00.500Z'),
      SETTINGS,
    );
    expect(plan.slots).toHaveLength(SETTINGS.misfireMaxRuns);
    expect(iso(plan.slots[0])).toBe('2026-01-01T23:59:51.000Z');
    expect(iso(plan.slots[9])).toBe('2026-01-02T00:00:00.000Z');
    expect(iso(plan.nextSlot)).toBe('2026-01-02T00:00:01.000Z');
  });

  it('the next slot is strictly after now even when now is exactly on a slot', () => {
    for (const misfirePolicy of ['runOnce', 'skip', 'runAll'] as const) {
      const task = makeTask({ misfirePolicy });
      const onSlot = at('2026-01-01T10:30:00Z');
      const plan = planDueItem(task, scheduled(task, missed), onSlot, SETTINGS);
      expect(plan.nextSlot).toBe(at('2026-01-01T10:35:00Z'));
      if (misfirePolicy !== 'skip') expect(plan.slots.at(-1)).toBe(onSlot);
    }
  });

  it('runOnce on the fall-back night does not re-plan onto the repeated 02:30 (Europe/Paris, 2026-10-25)', () => {
    // The daily 02:30 slot at 00:30Z (CEST) is missed and seen at 01:10Z: it runs once, and the next slot
    // is the next day's 02:30, not the repeated 02:30 CET (01:30Z) that cron-parser alone would give.
    const task = makeTask({
      expression: '30 2 * * *',
      timeZone: 'Europe/Paris',
      misfirePolicy: 'runOnce',
    });
    const plan = planDueItem(task, scheduled(task, at('2026-10-25T00:30:00Z')), at('2026-10-25T01:10:00Z'), SETTINGS);
    expect(plan.slots.map(iso)).toEqual(['2026-10-25T00:30:00.000Z']);
    expect(iso(plan.nextSlot)).toBe('2026-10-26T01:30:00.000Z');
  });

  it('runOnce the day after the Pacific/Chatham September change runs the missed slot (was: none, after 8 s)', () => {
    const task = makeTask({ expression: '30 2 * * *', timeZone: 'Pacific/Chatham', misfirePolicy: 'runOnce' });
    const started = performance.now();
    const plan = planDueItem(task, scheduled(task, at('2026-09-26T13:45:00Z')), at('2026-09-27T12:00:00Z'), SETTINGS);
    expect(performance.now() - started).toBeLessThan(100);
    expect(plan.slots.map(iso)).toEqual(['2026-09-26T13:45:00.000Z']);
    expect(iso(plan.nextSlot)).toBe('2026-09-27T12:45:00.000Z');
  });
});

describe('planDueItem: one-off items (trigger, retry)', () => {
  it('a trigger publishes its slot as is, keeping attempt and kind', () => {
    const task = makeTask({ highPriority: true });
    const due: DueItem = {
      source: 'oneOff',
      taskId: task.id,
      slot: at('2026-01-01T10:07:13Z'),
      attempt: 1,
      kind: 'trigger',
      member: 'm1',
    };
    const plan = planDueItem(task, due, at('2026-01-01T10:07:13Z'), SETTINGS);
    expect(plan).toEqual({
      due,
      nextSlot: 0,
      slots: [due.slot],
      highPriority: true,
      allowParallel: true,
      attempt: 1,
      kind: 'trigger',
    });
  });

  it('a late retry is not treated as a misfire, whatever the policy', () => {
    const task = makeTask({ misfirePolicy: 'skip' });
    const due: DueItem = {
      source: 'oneOff',
      taskId: task.id,
      slot: at('2026-01-01T10:05:00Z'),
      attempt: 3,
      kind: 'retry',
      member: 'm2',
    };
    const plan = planDueItem(task, due, at('2026-01-01T12:00:00Z'), SETTINGS);
    expect(plan.slots).toEqual([due.slot]);
    expect(plan.attempt).toBe(3);
    expect(plan.kind).toBe('retry');
    expect(plan.nextSlot).toBe(0);
  });
});

describe('planDueItem: one shape (issue 17)', () => {
  it('builds every item with the same fields in the same order, whatever the case', () => {
    const task = makeTask({ misfirePolicy: 'runAll' });
    const slot = at('2026-01-01T10:05:00Z');
    const oneOff: DueItem = { source: 'oneOff', taskId: task.id, slot, attempt: 2, kind: 'retry', member: 'm' };
    const plans = [
      planDueItem(task, scheduled(task, slot), slot, SETTINGS),
      planDueItem(task, scheduled(task, slot), slot + 3_600_000, SETTINGS),
      planDueItem(makeTask({ misfirePolicy: 'skip' }), scheduled(task, slot), slot + 3_600_000, SETTINGS),
      planDueItem(makeTask(), scheduled(task, slot), slot + 3_600_000, SETTINGS),
      planDueItem(task, oneOff, slot, SETTINGS),
    ];
    for (const plan of plans)
      expect(Object.keys(plan)).toEqual([
        'due',
        'highPriority',
        'allowParallel',
        'nextSlot',
        'slots',
        'attempt',
        'kind',
      ]);
  });
});

describe('planUnknown', () => {
  it('publishes nothing and postpones the entry', () => {
    const due: DueItem = {
      source: 'scheduled',
      taskId: encodeTaskId('gone', 'task'),
      slot: 1000,
      rawScore: '1000',
    };
    const now = at('2026-01-01T10:00:00Z');
    expect(planUnknown(due, now, 30_000)).toEqual({
      due,
      nextSlot: now + 30_000,
      slots: [],
      highPriority: false,
      allowParallel: true,
      attempt: 1,
      kind: 'scheduled',
    });
  });
});
