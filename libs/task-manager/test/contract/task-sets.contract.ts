import { expect } from 'vitest';
import type { CoordinationPort } from '../../src/engine/coordination.port.js';
import { LeadershipLostError } from '../../src/errors/leadership-lost.error.js';
import { lead, outcome, runToCompletion, scheduleAt, sleep, stateOf, worker, type ContractContext } from './helpers.js';

/** Grace period of the sweeps in these tests (ms). */
const GRACE = 250;

/** Runs a whole pass of the sweep (following the cursor, small steps); returns what it removed. */
async function sweepPass(port: CoordinationPort, token: string): Promise<string[]> {
  const removed: string[] = [];
  let cursor = '0';
  do {
    const step = await port.taskSets.sweep(token, GRACE, cursor, 2);
    removed.push(...step.removed);
    cursor = step.cursor;
  } while (cursor !== '0');
  return removed.sort();
}

/** Declared static task sets, and the leader's sweep of tasks no live worker declares any more. */
export function taskSetsContract(ctx: ContractContext): void {
  const { it } = ctx;

  /** Tasks a, b, gone (static) and d (dynamic) scheduled; workers w1 (declares a, gone) and w2 (a, b) live. */
  async function setUp(): Promise<string> {
    const { port } = ctx;
    const token = await lead(port);
    for (const id of ['g/a', 'g/b', 'g/gone']) await scheduleAt(port, id, Date.now() + 60_000);
    await port.dynamicTasks.create('g/d', '{}', {
      taskId: 'g/d',
      signature: '* * * * *|UTC',
      firstSlot: Date.now() + 60_000,
      dynamic: true,
    });
    for (const id of ['w1', 'w2']) await port.workers.announce(worker(id));
    await port.taskSets.declare('w1', 'set-1', ['g/a', 'g/gone']);
    await port.taskSets.declare('w2', 'set-2', ['g/a', 'g/b']);
    return token;
  }

  it('sweep: removes a task no live worker has declared for the grace period, with its state and history', async () => {
    const { port } = ctx;
    const token = await setUp();
    await runToCompletion(port, token, 'g/gone', outcome('failed', 'boom'));
    await port.state.setDisabled(['g/gone'], true);
    expect(await sweepPass(port, token)).toEqual([]);
    // The last worker declaring g/gone stops (a deploy of code without it).
    await port.workers.remove('w1');
    expect(await sweepPass(port, token)).toEqual([]); // noted, kept for the grace period
    expect(await port.schedule.count()).toBe(4);
    await sleep(GRACE + 50);
    expect(await sweepPass(port, token)).toEqual(['g/gone']);
    expect(await port.schedule.count()).toBe(3);
    expect(await stateOf(port, 'g/gone')).toMatchObject({ disabled: false, nextRun: null, failures: 0 });
    expect(await port.state.readHistory('g/gone', 10)).toEqual([]);
    // Declared (a, b) and dynamic (d) tasks stay.
    await sleep(GRACE + 50);
    expect(await sweepPass(port, token)).toEqual([]);
    expect(await port.schedule.count()).toBe(3);
  });

  it('sweep: an instance declaring the task again within the grace period keeps it (rolling deploy, rollback)', async () => {
    const { port } = ctx;
    const token = await setUp();
    await port.workers.remove('w1');
    expect(await sweepPass(port, token)).toEqual([]);
    await port.workers.announce(worker('w3'));
    await port.taskSets.declare('w3', 'set-1', ['g/a', 'g/gone']);
    await sleep(GRACE + 50);
    expect(await sweepPass(port, token)).toEqual([]);
    // Undeclared again: a new grace period starts.
    await port.workers.remove('w3');
    expect(await sweepPass(port, token)).toEqual([]);
    await sleep(GRACE + 50);
    expect(await sweepPass(port, token)).toEqual(['g/gone']);
  });

  // Issue 14: a worker declares its set on every reconciliation pass; once it points at it, that changes nothing.
  it("sweep: a live worker's set is kept however long ago it was declared; declaring it again changes nothing", async () => {
    const { port } = ctx;
    const token = await setUp();
    await sleep(GRACE + 50);
    await port.taskSets.declare('w1', 'set-1', ['g/a', 'g/gone']);
    await sleep(GRACE + 50);
    expect(await sweepPass(port, token)).toEqual([]);
    await sleep(GRACE + 50);
    expect(await sweepPass(port, token)).toEqual([]);
    expect(await port.schedule.count()).toBe(4);
    // Its worker gone, the set's grace period runs from the sweep that last saw it live.
    await port.workers.remove('w1');
    expect(await sweepPass(port, token)).toEqual([]);
    await sleep(GRACE + 50);
    expect(await sweepPass(port, token)).toEqual(['g/gone']);
  });

  it('sweep: nothing is noted or removed while a live worker has declared no task set (an older version)', async () => {
    const { port } = ctx;
    const token = await setUp();
    await port.workers.remove('w1');
    await port.workers.announce(worker('old-version'));
    expect(await sweepPass(port, token)).toEqual([]);
    await sleep(GRACE + 50);
    expect(await sweepPass(port, token)).toEqual([]);
    expect(await port.schedule.count()).toBe(4);
    await port.workers.remove('old-version');
    expect(await sweepPass(port, token)).toEqual([]); // noted only now
    await sleep(GRACE + 50);
    expect(await sweepPass(port, token)).toEqual(['g/gone']);
  });

  it('sweep: a stale leader is fenced out and changes nothing', async () => {
    const { port } = ctx;
    const token = await setUp();
    await port.workers.remove('w1');
    await port.leadership.release(token);
    await lead(port, 'other');
    await expect(port.taskSets.sweep(token, 0, '0', 100)).rejects.toBeInstanceOf(LeadershipLostError);
    expect(await port.schedule.count()).toBe(4);
  });
}
