// Scenario 7: leader failover. Two instances with one per-second task; SIGKILL the leader at a random
// moment of its heartbeat cycle (away from second boundaries) and measure, on the Redis side, the time
// until the first run published after the kill (the id of the first stream entry after the kill is the
// Redis time of that XADD), and until the new leader reports its leadership.
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { WorkerProc } from '../lib/proc.mjs';
import { sleepUntil } from '../lib/periodic.mjs';
import { summarize, round } from '../lib/stats.mjs';

async function trial(ctx, options, heartbeatS) {
  const prefix = await ctx.fresh('failover');
  const config = { redisUrl: ctx.redisUrl, prefix, tasks: 1, cron: '* * * * * *', options };
  const procs = [];
  const reader = new Redis(ctx.redisUrl, { maxRetriesPerRequest: 1 });
  reader.on('error', () => undefined);
  try {
    procs.push(new WorkerProc('ours', config, { label: 'A' }));
    await procs[0].ready();
    await procs[0].waitEvent((e) => e.type === 'leader' && e.isLeader, 30_000, 'leadership');
    procs.push(new WorkerProc('ours', config, { label: 'B' }));
    await procs[1].ready();
    // A random phase of the leader's heartbeat, away from second boundaries (where the leader publishes).
    await sleep(1000 + Math.random() * heartbeatS * 1000);
    await sleepUntil(Math.floor(Date.now() / 1000) * 1000 + 1000 + 300 + Math.random() * 400);
    const token = await ctx.redis.get(`{${prefix}}:leader`);
    const leader = procs.find((w) => token?.startsWith(`${w.events.find((e) => e.type === 'ready').worker}|`));
    if (!leader) throw new Error(`no leader found (lease ${token})`);
    const survivor = procs.find((w) => w !== leader);
    const killedAt = Date.now();
    leader.kill('SIGKILL');
    const stream = `{${prefix}}:stream:normal`;
    const timeoutMs = heartbeatS * 3000 + 15_000;
    const reply = await reader.xread('COUNT', 1, 'BLOCK', timeoutMs, 'STREAMS', stream, `${killedAt}-0`);
    if (!reply) throw new Error(`no run published within ${timeoutMs} ms of the kill`);
    const publishedAt = Number(reply[0][1][0][0].split('-')[0]);
    const elected = await survivor.waitEvent((e) => e.type === 'leader' && e.isLeader, 5000, 'new leader');
    return {
      killedLeader: leader.label,
      firstPublishMs: publishedAt - killedAt,
      newLeaderMs: round(elected.at - killedAt, 1),
      survivor: survivor.label,
    };
  } finally {
    reader.disconnect();
    await Promise.all(procs.map((w) => w.stop()));
    await ctx.cleanup();
  }
}

export const failover = {
  id: 'failover',
  number: 7,
  title: 'Leader failover: SIGKILL the leader -> first publish by the new leader',
  async run(ctx, p) {
    const out = { params: p };
    for (const setting of p.settings) {
      const heartbeatS = setting.options.leaderHeartbeatInterval ?? 3;
      const trials = [];
      for (let i = 0; i < p.trials; i++) {
        try {
          const t = await trial(ctx, setting.options, heartbeatS);
          trials.push(t);
          ctx.log(
            `  ${setting.name} trial ${i + 1}: first publish ${t.firstPublishMs} ms, new leader ${t.newLeaderMs} ms after the kill`,
          );
        } catch (error) {
          ctx.log(`  ${setting.name} trial ${i + 1} failed: ${error.message.split('\n')[0]}`);
          trials.push({ error: error.message });
        }
      }
      const ok = trials.filter((t) => !t.error);
      out[setting.name] = {
        options: setting.options,
        firstPublishMs: summarize(ok.map((t) => t.firstPublishMs)),
        newLeaderMs: summarize(ok.map((t) => t.newLeaderMs)),
        trials,
      };
    }
    return out;
  },
};
