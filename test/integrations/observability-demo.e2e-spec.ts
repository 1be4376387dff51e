/**
 * The demo's ObservabilityModule (src/observability.module.ts) next to the management API: `/health` and
 * `/metrics` answer, and neither clashes with the API mounted at /task-manager.
 */
import { Injectable } from '@nestjs/common';
import { Task, TaskGroup } from 'nestjs-task-manager';
import { ObservabilityModule } from '../../src/observability.module.js';
import { startApiApp, type ApiApp } from '../api/api-app.js';
import { waitFor } from '../support/redis.js';

@TaskGroup({ name: 'Demo' })
@Injectable()
class DemoTasks {
  @Task('0 0 1 1 *', { name: 'yearly' })
  yearly() {}
}

describe('demo ObservabilityModule', () => {
  let app: ApiApp | undefined;
  afterEach(async () => {
    await app?.dispose();
    app = undefined;
  });

  it('serves /health and /metrics beside the management API', async () => {
    app = await startApiApp({ groups: [DemoTasks], imports: [ObservabilityModule], label: 'demo-obs' });
    await waitFor(() => app!.service.health().isLeader, { message: 'leadership' });

    const health = await app.http.get('/health').expect(200);
    expect(health.body).toMatchObject({
      status: 'ok',
      info: { 'task-manager': { status: 'up', leader: app.service.workerId } },
    });
    await app.http.get('/task-manager/health').expect(200);

    await app.service.trigger({ name: 'yearly' });
    await waitFor(async () => (await app!.service.getRunHistory('Demo', 'yearly')).length === 1, {
      message: 'the triggered run',
    });
    const metrics = await app.http.get('/metrics').expect(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.text).toContain('task_manager_runs_total{group="Demo",task="yearly",status="success"} 1');
    expect(metrics.text).toContain('task_manager_leader 1');
    // The process' default metrics share the demo's registry.
    expect(metrics.text).toContain('process_cpu_user_seconds_total');
  });
});
