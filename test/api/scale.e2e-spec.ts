/**
 * GET /tasks with 10,000 registered tasks answers well under a second (the states are read in one
 * pipelined Redis round trip, not one per task).
 */
import { Injectable } from '@nestjs/common';
import { Task, TaskGroup } from 'nestjs-task-manager';
import { startApiApp, type ApiApp } from './api-app.js';
import { NEVER } from './fixtures.js';

const COUNT = 10_000;
/** Generous for shared CI machines (the median of 3 requests is checked); the times are logged. */
const BUDGET_MS = 1500;

@TaskGroup({ name: 'Many', tags: ['many'] })
@Injectable()
class ManyTasks {
  @Task(NEVER, { name: 't', kwargs: Array.from({ length: COUNT }, (_, i) => ({ i })), register: false })
  run(): void {}
}

describe('management API at scale', () => {
  let api: ApiApp;

  beforeAll(async () => {
    api = await startApiApp({ groups: [ManyTasks], label: 'api-scale' });
  }, 120_000);
  afterAll(() => api?.dispose());

  it(`GET /tasks lists ${COUNT} tasks in under ${BUDGET_MS} ms`, async () => {
    await api.http.get('/task-manager/tasks').query({ limit: 1 }).expect(200); // warm-up (connections, JIT)
    const timings: number[] = [];
    let body: Array<{ name: string; next_run: string | null }> = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const res = await api.http.get('/task-manager/tasks').expect(200);
      timings.push(performance.now() - started);
      body = res.body;
    }
    console.log(`GET /tasks with ${COUNT} tasks: ${timings.map((t) => `${t.toFixed(0)} ms`).join(', ')}`);
    expect(body).toHaveLength(COUNT);
    expect(body[0].name).toBe('t-1');
    expect(body[COUNT - 1].name).toBe(`t-${COUNT}`);
    expect(body.every((t) => t.next_run !== null)).toBe(true);
    const median = [...timings].sort((x, y) => x - y)[1];
    expect(median).toBeLessThan(BUDGET_MS);
  });

  it('pages through them with limit and offset', async () => {
    const started = performance.now();
    const res = await api.http.get('/task-manager/tasks').query({ offset: 9_990, limit: 20 }).expect(200);
    console.log(`GET /tasks?offset=9990&limit=20: ${(performance.now() - started).toFixed(0)} ms`);
    expect(res.body.map((t: { name: string }) => t.name)).toEqual(
      Array.from({ length: 10 }, (_, i) => `t-${9_991 + i}`),
    );
  });
});
