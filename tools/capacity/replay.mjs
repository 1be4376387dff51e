// The capacity model's replay: a small time-stepped simulation that plays a minute's arrivals through N
// instances and M Redis masters with the measured per-run costs, for sizes this machine cannot run.
//
// Runs move in batches (the engine publishes, starts and completes runs in batched script calls). A batch of
// partition p is first published: the leader of p (instance p mod N) spends the publish share of the engine
// cost, then p's master (p mod effective masters) the publish share of the Redis cost. It is then consumed by
// the instance with the least queued work (consumers pull from the streams): the rest of the engine cost, then
// the rest of the Redis cost on p's master. A batch is done when that last step ends. Each instance and master
// is a single-threaded FIFO server; with `hostCores`, all of them share that many cores (this machine: the
// instances, Redis and the load share 2 cores), each running slower when more servers are busy than cores.

import { effectiveMasters } from './model.mjs';

/**
 * @param {{ engineUsPerRun: number, redisUsPerRun: number, publishShare: number, redisPublishShare: number }} costs
 * @param {{ instances: number, masters: number, partitions: number, runs: number, arrival: 'aligned'|'spread',
 *   windowS?: number, coresPerInstance?: number, hostCores?: number, batch?: number, stepMs?: number,
 *   limitS?: number }} setup
 * `arrival`: 'aligned' = every run due at t = 0; 'spread' = runs / windowS due at each whole second of the window.
 */
export function replay(costs, setup) {
  const { instances, partitions, runs, arrival, windowS = 60, coresPerInstance = 1, hostCores = Infinity } = setup;
  const { batch = 100, stepMs = 1, limitS = 600 } = setup;
  const masters = effectiveMasters(setup.masters, partitions);
  const servers = [
    ...Array.from({ length: instances }, () => ({ speed: coresPerInstance, kind: 'instance' })),
    ...Array.from({ length: masters }, () => ({ speed: 1, kind: 'master' })),
  ].map((s) => ({ ...s, queue: [], head: 0, queuedUs: 0, busyUs: 0 }));
  const master = (p) => servers[instances + (p % masters)];
  const s = costs.publishShare;
  const r = costs.redisPublishShare;

  const arrivals = []; // [atMs, runs, batch number (its partition: the number mod partitions)], in time order
  let next = 0;
  const seconds = arrival === 'aligned' ? 1 : windowS;
  for (let second = 0; second < seconds; second++) {
    const due = Math.round(((second + 1) * runs) / seconds) - Math.round((second * runs) / seconds);
    for (let sent = 0; sent < due; sent += batch) arrivals.push([second * 1000, Math.min(batch, due - sent), next++]);
  }

  const push = (server, job) => {
    server.queue.push(job);
    server.queuedUs += job.stages[job.stage].us;
  };
  const leastQueued = () => {
    let best = servers[0];
    for (let i = 1; i < instances; i++) if (servers[i].queuedUs < best.queuedUs) best = servers[i];
    return best;
  };
  const consume = (job) => ({
    at: job.at,
    runs: job.runs,
    stage: 0,
    stages: [
      { server: leastQueued(), us: job.runs * (1 - s) * costs.engineUsPerRun },
      { server: job.master, us: job.runs * (1 - r) * costs.redisUsPerRun },
    ],
    consuming: true,
  });

  let done = 0;
  let lastDoneMs = 0;
  let maxDelayMs = 0;
  let arrived = 0;
  let t = 0;
  const stepUs = stepMs * 1000;
  while (done < runs && t < limitS * 1000) {
    for (; arrived < arrivals.length && arrivals[arrived][0] <= t; arrived++) {
      const [at, count, number] = arrivals[arrived];
      const p = number % partitions;
      const job = { at, runs: count, stage: 0, master: master(p), consuming: false };
      job.stages = [
        { server: servers[p % instances], us: count * s * costs.engineUsPerRun },
        { server: job.master, us: count * r * costs.redisUsPerRun },
      ];
      push(job.stages[0].server, job);
    }
    // Only servers with work at the step's start run in it (they are the ones sharing the host's cores).
    const active = servers.filter((sv) => sv.head < sv.queue.length);
    const busy = active.reduce((sum, sv) => sum + sv.speed, 0);
    const slowdown = Math.min(1, hostCores / Math.max(busy, 1e-9));
    for (const server of active) {
      const rate = server.speed * slowdown;
      const full = stepUs * rate;
      let budget = full;
      while (budget > 0 && server.head < server.queue.length) {
        const job = server.queue[server.head];
        const stage = job.stages[job.stage];
        const used = Math.min(budget, stage.us);
        stage.us -= used;
        server.queuedUs -= used;
        server.busyUs += used;
        budget -= used;
        if (stage.us > 1e-9) break;
        server.head++;
        if (++job.stage < job.stages.length) push(job.stages[job.stage].server, job);
        else if (!job.consuming) {
          const consumed = consume(job);
          push(consumed.stages[0].server, consumed);
        } else {
          const endMs = t + (full - budget) / rate / 1000;
          done += job.runs;
          lastDoneMs = Math.max(lastDoneMs, endMs);
          maxDelayMs = Math.max(maxDelayMs, endMs - job.at);
        }
      }
      if (server.head > 1024 && server.head * 2 > server.queue.length) {
        server.queue = server.queue.slice(server.head);
        server.head = 0;
      }
    }
    t += stepMs;
  }

  const spanUs = Math.max(lastDoneMs, seconds * 1000) * 1000;
  const busiest = (kind) => Math.max(...servers.filter((sv) => sv.kind === kind).map((sv) => sv.busyUs / spanUs));
  return {
    runs,
    doneRuns: done,
    finished: done >= runs,
    drainS: lastDoneMs / 1000,
    maxDelayS: maxDelayMs / 1000,
    busiestInstanceUtilisation: busiest('instance'),
    busiestMasterUtilisation: busiest('master'),
    effectiveMasters: masters,
  };
}
