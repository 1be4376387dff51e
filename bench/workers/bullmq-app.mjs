// BullMQ under test: job schedulers (Queue.upsertJobScheduler with a cron `pattern`) executed by a
// Worker, in one process. Configured by BENCH_CONFIG (JSON): redisUrl, prefix (BullMQ key prefix),
// queue, concurrency, longMs. Driven over IPC (see common.mjs). The slot of a scheduled job is
// `job.opts.prevMillis` (the scheduler's `nextMillis` the job was created for; jobId repeat:<id>:<slot>).
import { Queue, Worker } from 'bullmq';
import { Recorder, config, emit, now, processStart, serve, usage } from './common.mjs';

const url = new URL(config.redisUrl);
const connection = { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
const queueName = config.queue ?? 'bench';
const prefix = config.prefix ?? 'bull';
const recorder = new Recorder();
let queue;
let worker;

const getQueue = () => (queue ??= new Queue(queueName, { connection, prefix }));

async function processor(job) {
  if (job.name === 'long') {
    emit({ type: 'run', task: 'long', jobId: job.id, attempt: job.attemptsStarted, start: now() });
    await new Promise((resolve) => setTimeout(resolve, config.longMs ?? 120_000));
    return;
  }
  const slot = job.opts.prevMillis ?? job.timestamp + (job.delay ?? 0);
  recorder.record(job.data?.i ?? 0, slot, now());
}

serve({
  /** Upserts `count` schedulers t#1..t#count on `pattern`; returns how long it took (ms). */
  upsert: async ({ count, pattern, chunk = 1000 }) => {
    const q = getQueue();
    await q.waitUntilReady();
    const t0 = now();
    for (let start = 0; start < count; start += chunk) {
      const batch = [];
      for (let i = start; i < Math.min(count, start + chunk); i++) {
        batch.push(
          q.upsertJobScheduler(
            `t#${i + 1}`,
            { pattern, tz: 'UTC' },
            { name: 't', data: { i }, opts: { removeOnComplete: true, removeOnFail: true } },
          ),
        );
      }
      await Promise.all(batch);
    }
    return { ms: now() - t0 };
  },
  startWorker: async () => {
    worker = new Worker(queueName, processor, { connection, prefix, concurrency: config.concurrency ?? 1 });
    worker.on('error', (error) => emit({ type: 'error', message: String(error?.message ?? error) }));
    await worker.waitUntilReady();
    return { startedAt: now() };
  },
  addLong: async () => {
    const job = await getQueue().add('long', {}, { removeOnComplete: true, removeOnFail: true });
    return { jobId: job.id };
  },
  collect: () => recorder.drain(),
  stop: async () => {
    await worker?.close(true);
    await queue?.close();
  },
});
process.on('unhandledRejection', (reason) =>
  emit({ type: 'unhandledRejection', reason: String(reason?.stack ?? reason) }),
);
emit({ type: 'ready', marks: { processStart, ready: now() }, usage: usage() });
