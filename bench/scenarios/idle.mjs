// Scenario 1: idle Redis load. Tasks registered but none due (ours: one @Task with a kwargs list on
// '0 0 1 1 *'; BullMQ: job schedulers with the same yearly pattern), INFO commandstats deltas over a
// window after a warm-up. The window is as long as the longest periodic pass of either system
// (our reconciliation and BullMQ's stalled-jobs check both run every 30 s by default).
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkerProc, usageDelta } from '../lib/proc.mjs';
import { diff, snapshot, topCommands } from '../lib/redis.mjs';
import { round } from '../lib/stats.mjs';

async function measure(ctx, system, tasks, p) {
  const prefix = await ctx.fresh(`idle-${system}-${tasks}`);
  let proc;
  try {
    const t0 = Date.now();
    if (system === 'ours') {
      proc = new WorkerProc('ours', { redisUrl: ctx.redisUrl, prefix, tasks, cron: '0 0 1 1 *' }, { label: 'ours' });
      await proc.ready(300_000);
      await proc.waitEvent((e) => e.type === 'leader' && e.isLeader, 30_000, 'leadership');
    } else {
      proc = new WorkerProc(
        'bullmq',
        { redisUrl: ctx.redisUrl, prefix, queue: 'bench', concurrency: 1 },
        { label: 'bullmq' },
      );
      await proc.ready();
      if (tasks > 0) await proc.request('upsert', { count: tasks, pattern: '0 0 1 1 *' }, 600_000);
      await proc.request('startWorker');
    }
    const setupMs = Date.now() - t0;
    await sleep(p.warmupS * 1000);
    const [a, ua] = await Promise.all([snapshot(ctx.redis), proc.usage()]);
    await sleep(p.windowS * 1000);
    const [b, ub] = await Promise.all([snapshot(ctx.redis), proc.usage()]);
    const d = diff(a, b);
    return {
      system,
      tasks,
      setupMs,
      windowS: round(d.seconds, 2),
      commandsPerSecond: round(d.commandsPerSecond, 2),
      totalCommands: d.totalCommands,
      perCommand: topCommands(d, 16),
      redisCpuPercent: round(d.redisCpuPercent, 2),
      usedMemoryMB: round(d.usedMemory / 1048576, 2),
      process: usageDelta(ua, ub),
    };
  } finally {
    await proc?.stop();
    await ctx.cleanup();
  }
}

export const idle = {
  id: 'idle',
  number: 1,
  title: 'Idle Redis commands/s, tasks registered, none due',
  async run(ctx, p) {
    const out = { params: p, ours: [], bullmq: [] };
    for (const [system, sizes] of [
      ['ours', p.oursSizes],
      ['bullmq', p.bullmqSizes],
    ]) {
      for (const tasks of sizes) {
        ctx.log(`  ${system}, ${tasks} tasks: warm-up ${p.warmupS} s, window ${p.windowS} s`);
        try {
          const r = await measure(ctx, system, tasks, p);
          ctx.log(
            `    ${r.commandsPerSecond} cmds/s (${r.perCommand
              .slice(0, 4)
              .map((c) => `${c.command} ${c.perSecond}/s`)
              .join(', ')})`,
          );
          out[system].push(r);
        } catch (error) {
          ctx.log(`    failed: ${error.message.split('\n')[0]}`);
          out[system].push({ system, tasks, error: error.message });
        }
      }
    }
    return out;
  },
};
