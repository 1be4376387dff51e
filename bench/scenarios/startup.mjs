// Scenario 10: startup with N static tasks: process spawn -> engine started (app.init() resolved: tasks
// discovered, schedule registered, consumer and election started) -> first leadership. Breakdown from
// marks taken inside the process. BullMQ: the time to upsert N job schedulers (its registration step).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerProc } from '../lib/proc.mjs';
import { summarizeProfile } from './profile.mjs';
import { summarize, round } from '../lib/stats.mjs';

async function ours(ctx, tasks, execArgv) {
  const prefix = await ctx.fresh(`startup-${tasks}`);
  const spawnedAt = Date.now();
  const proc = new WorkerProc(
    'ours',
    { redisUrl: ctx.redisUrl, prefix, tasks, cron: '0 0 1 1 *' },
    { label: 'ours', execArgv },
  );
  try {
    const ready = await proc.ready(120_000);
    const leader = await proc.waitEvent((e) => e.type === 'leader' && e.isLeader, 30_000, 'leadership');
    const m = ready.marks;
    return {
      spawnToReadyMs: round(m.ready - spawnedAt, 1),
      spawnToLeaderMs: round(leader.at - spawnedAt, 1),
      spawnToProcessStartMs: round(m.processStart - spawnedAt, 1),
      importMs: round(m.imported - m.processStart, 1),
      importNestMs: round(m.nestImported - m.processStart, 1),
      importLibraryMs: round(m.imported - m.nestImported, 1),
      nestBootMs: round(m.ready - m.imported, 1),
      rssMB: round(ready.usage.rss / 1048576, 1),
    };
  } finally {
    await proc.stop();
    await ctx.cleanup();
  }
}

async function bullmq(ctx, tasks) {
  const prefix = await ctx.fresh('startup-bullmq');
  const spawnedAt = Date.now();
  const proc = new WorkerProc(
    'bullmq',
    { redisUrl: ctx.redisUrl, prefix, queue: 'bench', concurrency: 1 },
    { label: 'bullmq' },
  );
  try {
    await proc.ready();
    const upsert = await proc.request('upsert', { count: tasks, pattern: '0 0 1 1 *' }, 300_000);
    const worker = await proc.request('startWorker');
    return { upsertMs: round(upsert.ms, 1), spawnToWorkerReadyMs: round(worker.startedAt - spawnedAt, 1) };
  } finally {
    await proc.stop();
    await ctx.cleanup();
  }
}

export const startup = {
  id: 'startup',
  number: 10,
  title: 'Startup with static tasks: boot -> engine started / first leader',
  async run(ctx, p) {
    const out = { params: p, ours: {}, bullmq: {} };
    // One spawn first, not counted: the first start after other work reads its modules from disk.
    await ours(ctx, 0).catch(() => undefined);
    for (const tasks of p.sizes) {
      const runs = [];
      for (let r = 0; r < p.runs; r++) {
        try {
          const one = await ours(ctx, tasks);
          runs.push(one);
          ctx.log(
            `  ours ${tasks} tasks run ${r + 1}: ready ${one.spawnToReadyMs} ms, leader ${one.spawnToLeaderMs} ms (import ${one.importMs}, Nest+engine ${one.nestBootMs})`,
          );
        } catch (error) {
          ctx.log(`  ours ${tasks} tasks run ${r + 1} failed: ${error.message.split('\n')[0]}`);
          runs.push({ error: error.message });
        }
      }
      const ok = runs.filter((r) => !r.error);
      out.ours[tasks] = Object.fromEntries(
        [
          'spawnToReadyMs',
          'spawnToLeaderMs',
          'spawnToProcessStartMs',
          'importMs',
          'importNestMs',
          'importLibraryMs',
          'nestBootMs',
          'rssMB',
        ].map((k) => [k, summarize(ok.map((r) => r[k]))]),
      );
      out.ours[tasks].runs = runs;
    }
    const runs = [];
    for (let r = 0; r < p.runs; r++) {
      try {
        const one = await bullmq(ctx, p.bullmqTasks);
        runs.push(one);
        ctx.log(
          `  bullmq ${p.bullmqTasks} schedulers run ${r + 1}: upsert ${one.upsertMs} ms, worker ready ${one.spawnToWorkerReadyMs} ms after spawn`,
        );
      } catch (error) {
        ctx.log(`  bullmq run ${r + 1} failed: ${error.message.split('\n')[0]}`);
        runs.push({ error: error.message });
      }
    }
    // One more start under the CPU profiler (not counted): where the boot time goes.
    if (p.profile) {
      const dir = mkdtempSync(join(tmpdir(), 'ntm-bench-startup-'));
      const tasks = p.sizes[p.sizes.length - 1];
      try {
        await ours(ctx, tasks, ['--cpu-prof', '--cpu-prof-dir', dir]);
        const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
        if (file) {
          out.profile = {
            tasks,
            file: join(dir, file),
            ...summarizeProfile(JSON.parse(readFileSync(join(dir, file), 'utf8'))),
          };
          ctx.log(
            `  boot profile (${tasks} tasks): ${out.profile.byModule
              .slice(0, 6)
              .map((m) => `${m.name} ${m.percent}%`)
              .join(', ')}`,
          );
        }
      } catch (error) {
        ctx.log(`  boot profile failed: ${error.message.split('\n')[0]}`);
      }
    }
    const ok = runs.filter((r) => !r.error);
    out.bullmq = {
      tasks: p.bullmqTasks,
      upsertMs: summarize(ok.map((r) => r.upsertMs)),
      spawnToWorkerReadyMs: summarize(ok.map((r) => r.spawnToWorkerReadyMs)),
      runs,
    };
    return out;
  },
};
