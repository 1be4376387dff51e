// Scenario 6: Redis memory per registered task (no history: the tasks never run). used_memory with N
// tasks registered minus used_memory with 0 tasks, same processes and connections, divided by N.
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkerProc } from '../lib/proc.mjs';
import { parseInfo } from '../lib/redis.mjs';
import { summarize, round } from '../lib/stats.mjs';

async function usedMemory(ctx) {
  const mem = parseInfo(await ctx.redis.info('memory'));
  return { used: mem.used_memory, dataset: mem.used_memory_dataset };
}

/** MEMORY USAGE of every key of the deployment, grouped by key name with the prefix stripped. */
async function keyBreakdown(ctx, match, strip) {
  const groups = {};
  let cursor = '0';
  do {
    const [next, keys] = await ctx.redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const bytes = await ctx.redis.memory('USAGE', key, 'SAMPLES', 0);
      const type = await ctx.redis.type(key);
      let name = key
        .slice(strip.length)
        .replace(/t-\d+/, 't-N')
        .replace(/:\d{10,}$/, ':<slot>');
      groups[name] ??= { keys: 0, bytes: 0, type };
      groups[name].keys++;
      groups[name].bytes += Number(bytes ?? 0);
    }
  } while (cursor !== '0');
  return Object.entries(groups)
    .map(([key, g]) => ({ key, ...g }))
    .sort((a, b) => b.bytes - a.bytes);
}

async function one(ctx, system, tasks, settleMs, withBreakdown) {
  const prefix = await ctx.fresh(`mem-${system}-${tasks}`);
  let proc;
  try {
    if (system === 'ours') {
      proc = new WorkerProc('ours', { redisUrl: ctx.redisUrl, prefix, tasks, cron: '0 0 1 1 *' }, { label: 'ours' });
      await proc.ready(120_000);
      await proc.waitEvent((e) => e.type === 'leader' && e.isLeader, 30_000, 'leadership');
    } else {
      proc = new WorkerProc(
        'bullmq',
        { redisUrl: ctx.redisUrl, prefix, queue: 'bench', concurrency: 1 },
        { label: 'bullmq' },
      );
      await proc.ready();
      if (tasks > 0) await proc.request('upsert', { count: tasks, pattern: '0 0 1 1 *' }, 300_000);
      await proc.request('startWorker');
    }
    await sleep(settleMs);
    const memory = await usedMemory(ctx);
    const breakdown = withBreakdown
      ? system === 'ours'
        ? await keyBreakdown(ctx, `{${prefix}}:*`, `{${prefix}}:`)
        : await keyBreakdown(ctx, `${prefix}:*`, `${prefix}:bench:`)
      : undefined;
    return { memory, breakdown };
  } finally {
    await proc?.stop();
    await ctx.cleanup();
  }
}

export const memory = {
  id: 'memory',
  number: 6,
  title: 'Redis memory per registered task (no history)',
  async run(ctx, p) {
    const out = { params: p };
    for (const system of ['ours', 'bullmq']) {
      const runs = [];
      for (let r = 0; r < p.runs; r++) {
        try {
          const base = await one(ctx, system, 0, p.settleMs, false);
          const loaded = await one(ctx, system, p.tasks, p.settleMs, r === 0);
          const perTask = (loaded.memory.used - base.memory.used) / p.tasks;
          const perTaskDataset = (loaded.memory.dataset - base.memory.dataset) / p.tasks;
          runs.push({
            baseUsedMemory: base.memory.used,
            loadedUsedMemory: loaded.memory.used,
            bytesPerTask: round(perTask, 1),
            datasetBytesPerTask: round(perTaskDataset, 1),
            ...(loaded.breakdown ? { keys: loaded.breakdown.slice(0, 12) } : {}),
          });
          ctx.log(`  ${system} run ${r + 1}: ${round(perTask, 1)} B/task (dataset ${round(perTaskDataset, 1)} B/task)`);
        } catch (error) {
          ctx.log(`  ${system} run ${r + 1} failed: ${error.message.split('\n')[0]}`);
          runs.push({ error: error.message });
        }
      }
      const ok = runs.filter((r) => !r.error);
      out[system] = {
        bytesPerTask: summarize(ok.map((r) => r.bytesPerTask)),
        datasetBytesPerTask: summarize(ok.map((r) => r.datasetBytesPerTask)),
        runs,
      };
    }
    return out;
  },
};
