import { expect } from 'vitest';
import { LeadershipLostError } from '../../src/errors/leadership-lost.error.js';
import { dueOf, itemFor, scheduleAt, type ContractContext } from './helpers.js';

/** Task ids of every shape: plain, empty, non-ASCII, long, many alike. */
const TASK_IDS = [
  'g/t',
  '',
  'grüße/タスク',
  `g/${'x'.repeat(2000)}`,
  ...Array.from({ length: 200 }, (_, i) => `g/t-${i}`),
];

/** The partitions of the port: one, whose parts are the port's own lease, schedule and sweep. */
export function partitionsContract(ctx: ContractContext): void {
  const { it } = ctx;
  it('one partition: partition 0 holds every task and its parts are the port’s own lease, schedule and sweep', async () => {
    const { port } = ctx;
    const peer = await ctx.harness.peer('peer');
    expect(port.partitions).toHaveLength(1);
    const [partition] = port.partitions;
    expect(partition.index).toBe(0);
    expect(TASK_IDS.map((id) => port.partitionOf(id))).toEqual(TASK_IDS.map(() => 0));
    expect(TASK_IDS.map((id) => peer.partitionOf(id))).toEqual(TASK_IDS.map(() => 0));

    // The lease: taken through partition 0, held against the port's (and the peer's partition 0).
    const acquired = await partition.leadership.acquire('leader', 30_000);
    if (!('token' in acquired)) throw new Error('partition 0 could not be led');
    const { token } = acquired;
    expect(await peer.leadership.acquire('other', 30_000)).toHaveProperty('retryInMs');
    expect(await peer.partitions[0].leadership.acquire('other', 30_000)).toHaveProperty('retryInMs');
    expect((await port.leadership.renew(token, 30_000)).renewed).toBe(true);

    // The schedule: registered through the port, due and published through partition 0, and back.
    await scheduleAt(port, 'g/t', Date.now() - 1000);
    expect(await partition.schedule.count()).toBe(1);
    const due = (await partition.schedule.fetchDue(Date.now(), 10)).find((d) => d.taskId === 'g/t');
    expect(due).toEqual(await dueOf(port, 'g/t'));
    expect((await partition.schedule.publish(token, Date.now(), [itemFor(due!)])).statuses).toEqual(['published']);
    expect((await port.schedule.pendingRuns()).normal.queued).toBe(1);
    expect(await peer.partitions[0].schedule.peekEarliest()).toBe(due!.slot + 60_000);

    // The sweep: partition 0's is fenced by the lease the port's leadership released.
    await port.leadership.release(token);
    await expect(partition.taskSets.sweep(token, 0, '0', 100)).rejects.toBeInstanceOf(LeadershipLostError);
    expect(await port.schedule.count()).toBe(1);
  });
}
