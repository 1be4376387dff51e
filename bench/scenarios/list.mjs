// Scenario 9: GET /tasks with 10,000 tasks. When the library has its management API (an `api` option of
// TaskManagerModule), an HTTP app is booted and GET <path>/tasks is timed over real HTTP; otherwise
// TaskManagerService.getTasks() (what GET /tasks would do: the registry plus one round trip reading the states)
// is timed inside the app and the figure is labelled as such. Then one page (`limit`, at offsets spread over
// the list) of a larger app's tasks (`p.paged`: 100,000 tasks), timed the same way.
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

function httpApp(ctx, tasks, prefix) {
  const apiOptions = process.env.BENCH_API_OPTIONS
    ? JSON.parse(process.env.BENCH_API_OPTIONS)
    : { path: 'task-manager' };
  return new WorkerProc(
    'ours',
    { redisUrl: ctx.redisUrl, prefix, tasks, cron: '0 0 1 1 *', http: { apiOptions } },
    { label: 'ours-http' },
  );
}

/** The path of GET /tasks on the app (the first candidate answering a JSON array). */
async function tasksPath(port, query = '') {
  const paths = (process.env.BENCH_API_PATHS ?? '/task-manager/tasks,/tasks').split(',');
  for (const candidate of paths) {
    const res = await fetch(`http://127.0.0.1:${port}${candidate}${query}`);
    const body = await res.text();
    if (res.ok && body.startsWith('[')) return candidate;
  }
  throw new Error(`no GET /tasks answered on ${paths.join(', ')}`);
}

/** Offsets of `calls` pages of `limit` spread over `tasks` tasks: first page, last page and between. */
export function pageOffsets(tasks, limit, calls) {
  const last = Math.max(0, tasks - limit);
  return Array.from({ length: calls }, (_, i) => (calls === 1 ? 0 : Math.round((last * i) / (calls - 1))));
}

async function httpTimings(ctx, p, prefix) {
  const proc = httpApp(ctx, p.tasks, prefix);
  try {
    const ready = await proc.ready(120_000);
    const path = await tasksPath(ready.httpPort);
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

/** One page of `p.limit` tasks out of `p.tasks`, over HTTP (the first call, on the first page, not counted). */
async function pagedHttpTimings(ctx, p, prefix) {
  const proc = httpApp(ctx, p.tasks, prefix);
  try {
    const ready = await proc.ready(300_000);
    const path = await tasksPath(ready.httpPort, `?limit=${p.limit}`);
    const timings = [];
    let count = 0;
    for (const offset of pageOffsets(p.tasks, p.limit, p.calls)) {
      const t0 = performance.now();
      const res = await fetch(`http://127.0.0.1:${ready.httpPort}${path}?limit=${p.limit}&offset=${offset}`);
      const text = await res.text();
      timings.push(performance.now() - t0);
      count = JSON.parse(text).length;
    }
    return { method: `HTTP GET ${path}?limit=${p.limit}&offset=…`, timings, count };
  } finally {
    await proc.stop();
  }
}

async function paged(ctx, p) {
  const prefix = await ctx.fresh('list-paged');
  try {
    let result;
    let note;
    if (libraryHasApi()) {
      try {
        result = await pagedHttpTimings(ctx, p, prefix);
      } catch (error) {
        note = `HTTP API not usable by the harness (${error.message.split('\n')[0]}); measured the service instead`;
        await ctx.cleanup();
      }
    }
    result ??= await serviceTimings(ctx, p, prefix, true);
    return {
      params: p,
      method: result.method,
      note,
      tasksReturned: result.count,
      ms: summarize(result.timings),
    };
  } finally {
    await ctx.cleanup();
  }
}

/**
 * TaskManagerService.getTasks() in-process, `p.calls` times: the whole listing, or with `paged` one page of
 * `p.limit` tasks out of `p.tasks` at spread offsets (after one call that warms the page path up).
 */
async function serviceTimings(ctx, p, prefix, paged = false) {
  const proc = new WorkerProc(
    'ours',
    { redisUrl: ctx.redisUrl, prefix, tasks: p.tasks, cron: '0 0 1 1 *' },
    { label: 'ours' },
  );
  try {
    await proc.ready(paged ? 300_000 : 120_000);
    const timings = [];
    let count = 0;
    const pages = paged ? pageOffsets(p.tasks, p.limit, p.calls).map((offset) => ({ offset, limit: p.limit })) : [];
    if (paged) await proc.request('getTasks', { offset: 0, limit: p.limit });
    for (let i = 0; i < p.calls; i++) {
      const r = await proc.request('getTasks', pages[i]);
      timings.push(r.ms);
      count = r.count;
    }
    return {
      method: paged
        ? `TaskManagerService.getTasks({}, { offset, limit: ${p.limit} }) in-process`
        : 'TaskManagerService.getTasks() in-process (no HTTP API in the library yet)',
      timings,
      count,
    };
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
    if (p.paged) {
      try {
        out.paged = await paged(ctx, p.paged);
        ctx.log(
          `  ${out.paged.method} with ${p.paged.tasks} tasks: median ${round(out.paged.ms.median, 1)} ms (${out.paged.ms.values.map((v) => round(v, 1)).join(', ')})`,
        );
      } catch (error) {
        ctx.log(`  paged listing failed: ${error.message.split('\n')[0]}`);
        out.paged = { params: p.paged, error: String(error.message ?? error) };
      }
    }
    return out;
  },
};
