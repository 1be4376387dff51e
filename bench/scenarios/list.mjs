// Scenario 9: GET /tasks with 10,000 tasks. When the library has its management API (an `api` option of
// TaskManagerModule), an HTTP app is booted and GET <path>/tasks is timed over real HTTP; otherwise
// TaskManagerService.getTasks() (what GET /tasks would do: the registry plus one pipelined state read)
// is timed inside the app and the figure is labelled as such.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WorkerProc } from '../lib/proc.mjs';
import { summarizeProfile } from './profile.mjs';
import { summarize, round } from '../lib/stats.mjs';

const dist = fileURLToPath(new URL('../../libs/task-manager/dist/', import.meta.url));

/** Whether the built library declares an `api` option of forRoot() (the management HTTP API). */
export function libraryHasApi() {
  for (const file of ['task-manager.module-definition.d.ts', 'options/task-manager-options.interface.d.ts']) {
    const path = `${dist}${file}`;
    if (existsSync(path) && /^\s*api\??\s*:/m.test(readFileSync(path, 'utf8'))) return true;
  }
  return false;
}

async function httpTimings(ctx, p, prefix) {
  const apiOptions = process.env.BENCH_API_OPTIONS
    ? JSON.parse(process.env.BENCH_API_OPTIONS)
    : { path: 'task-manager' };
  const proc = new WorkerProc(
    'ours',
    { redisUrl: ctx.redisUrl, prefix, tasks: p.tasks, cron: '0 0 1 1 *', http: { apiOptions } },
    { label: 'ours-http' },
  );
  try {
    const ready = await proc.ready(120_000);
    const paths = (process.env.BENCH_API_PATHS ?? '/task-manager/tasks,/tasks').split(',');
    let path;
    for (const candidate of paths) {
      const res = await fetch(`http://127.0.0.1:${ready.httpPort}${candidate}`);
      const body = await res.text();
      if (res.ok && body.startsWith('[')) {
        path = candidate;
        break;
      }
    }
    if (!path) throw new Error(`no GET /tasks answered on ${paths.join(', ')}`);
    const timings = [];
    const serviceTimings = [];
    let count = 0;
    let bytes = 0;
    // A CPU profile of the app over the calls, to show where a listing's time goes.
    await proc.request('profileStart', { intervalUs: 250 });
    for (let i = 0; i < p.calls; i++) {
      const t0 = performance.now();
      const res = await fetch(`http://127.0.0.1:${ready.httpPort}${path}`);
      const text = await res.text();
      timings.push(performance.now() - t0);
      bytes = Buffer.byteLength(text);
      count = JSON.parse(text).length;
      // The same listing without HTTP, JSON and DTO mapping: what the Redis read and the registry cost.
      serviceTimings.push((await proc.request('getTasks')).ms);
    }
    const profile = summarizeProfile(await proc.request('profileStop', {}, 60_000));
    return { method: `HTTP GET ${path}`, timings, serviceTimings, count, bytes, profile };
  } finally {
    await proc.stop();
  }
}

async function serviceTimings(ctx, p, prefix) {
  const proc = new WorkerProc(
    'ours',
    { redisUrl: ctx.redisUrl, prefix, tasks: p.tasks, cron: '0 0 1 1 *' },
    { label: 'ours' },
  );
  try {
    await proc.ready(120_000);
    const timings = [];
    let count = 0;
    for (let i = 0; i < p.calls; i++) {
      const r = await proc.request('getTasks');
      timings.push(r.ms);
      count = r.count;
    }
    return { method: 'TaskManagerService.getTasks() in-process (no HTTP API in the library yet)', timings, count };
  } finally {
    await proc.stop();
  }
}

export const list = {
  id: 'list',
  number: 9,
  title: 'GET /tasks with 10,000 tasks',
  async run(ctx, p) {
    const prefix = await ctx.fresh('list');
    let result;
    let note;
    try {
      if (libraryHasApi()) {
        try {
          result = await httpTimings(ctx, p, prefix);
        } catch (error) {
          note = `HTTP API detected but not usable by the harness (${error.message.split('\n')[0]}); measured the service instead`;
          ctx.log(`  ${note}`);
          await ctx.cleanup();
        }
      }
      result ??= await serviceTimings(ctx, p, prefix);
    } finally {
      await ctx.cleanup();
    }
    const [first, ...rest] = result.timings;
    const out = {
      params: p,
      method: result.method,
      note,
      tasksReturned: result.count,
      responseBytes: result.bytes,
      firstCallMs: round(first, 1),
      ms: summarize(rest.length ? rest : [first]),
      ...(result.serviceTimings ? { serviceMs: summarize(result.serviceTimings) } : {}),
      ...(result.profile ? { profile: result.profile } : {}),
    };
    ctx.log(
      `  ${out.method}: first ${out.firstCallMs} ms, then median ${round(out.ms.median, 1)} ms (${out.tasksReturned} tasks)`,
    );
    return out;
  },
};
