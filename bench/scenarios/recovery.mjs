// Scenario 8: a run killed with its worker is re-executed elsewhere. Three instances (default timings,
// concurrentTasks 1); a long task is triggered twice, so its two runs start on two instances, one of which
// at least is a follower; that follower is SIGKILLed after `holdMs` (so leader failover is not part of the
// figure); measured: the time until another instance starts the same run. Also checks that no second start
// happened while the first one was alive. BullMQ: a long job on two workers, same kill (its stalled-job
// check recovers it).
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkerProc } from '../lib/proc.mjs';
import { summarize, round } from '../lib/stats.mjs';

function firstEvent(procs, predicate, timeoutMs, what) {
  return Promise.any(procs.map((w) => w.waitEvent(predicate, timeoutMs, what).then((e) => ({ w, e })))).catch(() => {
    throw new Error(`timed out waiting for ${what}`);
  });
}

async function oursTrial(ctx, p) {
  const prefix = await ctx.fresh('recovery');
  // concurrentTasks 1 and two runs: they start on two different instances, so at least one runner is a
  // follower (killing the leader would add a failover to the figure).
  const options = { concurrentTasks: 1, ...p.options };
  const config = { redisUrl: ctx.redisUrl, prefix, tasks: 0, longTask: { ms: 120_000 }, options };
  const procs = [];
  try {
    procs.push(new WorkerProc('ours', config, { label: 'A' }));
    await procs[0].ready();
    await procs[0].waitEvent((e) => e.type === 'leader' && e.isLeader, 30_000, 'leadership');
    procs.push(new WorkerProc('ours', config, { label: 'B' }), new WorkerProc('ours', config, { label: 'C' }));
    await Promise.all(procs.map((w) => w.ready()));
    await procs[0].request('trigger', { name: 'long' });
    await sleep(5);
    await procs[0].request('trigger', { name: 'long' });
    const started = new Map();
    const deadline = Date.now() + 15_000;
    while (started.size < 2 && Date.now() < deadline) {
      for (const w of procs)
        for (const e of w.events) if (e.type === 'run' && !started.has(e.slot)) started.set(e.slot, { w, e });
      await sleep(20);
    }
    if (started.size < 2) throw new Error(`only ${started.size} of the 2 triggered runs started`);
    const token = await ctx.redis.get(`{${prefix}}:leader`);
    const isLeader = (e) => token?.startsWith(`${e.worker}|`) ?? false;
    const pick = [...started.values()].find(({ e }) => !isLeader(e)) ?? [...started.values()][0];
    const { w: runner, e: first } = pick;
    await sleep(p.holdMs);
    const others = procs.filter((w) => w !== runner);
    const liveDuplicate = others.some((w) => w.events.some((e) => e.type === 'run' && e.slot === first.slot));
    const killedAt = Date.now();
    runner.kill('SIGKILL');
    const { e: second } = await firstEvent(
      others,
      (e) => e.type === 'run' && e.slot === first.slot,
      p.timeoutMs,
      're-execution of the killed run',
    );
    return {
      runnerWasLeader: isLeader(first),
      reExecutedAfterMs: round(second.start - killedAt, 1),
      liveDuplicate,
      attempt: second.attempt,
    };
  } finally {
    // Killed, not stopped: a graceful stop would wait shutdownTimeoutMs for the long runs.
    await Promise.all(procs.map((w) => (w.kill('SIGKILL'), w.exitPromise)));
    await ctx.cleanup();
  }
}

async function bullTrial(ctx, p) {
  const prefix = await ctx.fresh('recovery-bullmq');
  const procs = [];
  try {
    for (const label of ['A', 'B']) {
      const w = new WorkerProc(
        'bullmq',
        { redisUrl: ctx.redisUrl, prefix, queue: 'bench', concurrency: 1, longMs: 300_000 },
        { label },
      );
      procs.push(w);
      await w.ready();
      await w.request('startWorker');
    }
    const { jobId } = await procs[0].request('addLong');
    const { w: runner } = await firstEvent(
      procs,
      (e) => e.type === 'run' && e.jobId === jobId,
      15_000,
      'the job to start',
    );
    await sleep(p.holdMs);
    const other = procs.find((w) => w !== runner);
    const killedAt = Date.now();
    runner.kill('SIGKILL');
    const second = await other.waitEvent(
      (e) => e.type === 'run' && e.jobId === jobId,
      p.timeoutMs,
      're-execution of the killed job',
    );
    return { reExecutedAfterMs: round(second.start - killedAt, 1) };
  } finally {
    await Promise.all(procs.map((w) => (w.kill('SIGKILL'), w.exitPromise)));
    await ctx.cleanup();
  }
}

export const recovery = {
  id: 'recovery',
  number: 8,
  title: 'Killed run re-executed elsewhere (defaults)',
  async run(ctx, p) {
    const out = { params: p };
    const trials = [];
    for (let i = 0; i < p.trials; i++) {
      try {
        const t = await oursTrial(ctx, p);
        trials.push(t);
        ctx.log(
          `  ours trial ${i + 1}: re-executed ${t.reExecutedAfterMs} ms after the kill${t.liveDuplicate ? ' (LIVE DUPLICATE before the kill!)' : ''}`,
        );
      } catch (error) {
        ctx.log(`  ours trial ${i + 1} failed: ${error.message.split('\n')[0]}`);
        trials.push({ error: error.message });
      }
    }
    const ok = trials.filter((t) => !t.error);
    out.ours = {
      reExecutedAfterMs: summarize(ok.map((t) => t.reExecutedAfterMs)),
      liveDuplicates: ok.filter((t) => t.liveDuplicate).length,
      trials,
    };
    if (p.bullmq) {
      const bull = [];
      for (let i = 0; i < p.bullmq.trials; i++) {
        try {
          const t = await bullTrial(ctx, p.bullmq);
          bull.push(t);
          ctx.log(`  bullmq trial ${i + 1}: re-executed ${t.reExecutedAfterMs} ms after the kill`);
        } catch (error) {
          ctx.log(`  bullmq trial ${i + 1} failed: ${error.message.split('\n')[0]}`);
          bull.push({ error: error.message });
        }
      }
      out.bullmq = {
        reExecutedAfterMs: summarize(bull.filter((t) => !t.error).map((t) => t.reExecutedAfterMs)),
        trials: bull,
      };
    }
    return out;
  },
};
