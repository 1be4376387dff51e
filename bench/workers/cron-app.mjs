// The single-process floor: the `cron` package (what @nestjs/schedule uses), one CronJob per task,
// no Redis at all. Configured by BENCH_CONFIG (JSON): tasks, cron. The slot of a per-second tick is
// the whole second it fired in (cron never fires before its target time).
import { CronJob } from 'cron';
import { Recorder, config, emit, now, processStart, serve, usage } from './common.mjs';

const recorder = new Recorder();
const jobs = [];
const pattern = config.cron ?? '* * * * * *';
const period = config.periodMs ?? 1000;
for (let i = 0; i < (config.tasks ?? 0); i++) {
  jobs.push(
    CronJob.from({
      cronTime: pattern,
      timeZone: 'UTC',
      start: true,
      onTick: () => {
        const start = now();
        recorder.record(i, Math.floor(start / period) * period, start);
      },
    }),
  );
}

serve({
  collect: () => recorder.drain(),
  stop: () => {
    for (const job of jobs) job.stop();
  },
});
emit({ type: 'ready', marks: { processStart, ready: now() }, usage: usage() });
