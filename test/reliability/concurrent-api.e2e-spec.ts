/**
 * Concurrent management requests against one instance with the engine running.
 */
import { startApiApp, type ApiApp } from '../api/api-app.js';
import { ApiTasks, NEVER } from '../api/fixtures.js';

describe('concurrent management requests', () => {
  let api: ApiApp | undefined;
  afterEach(async () => {
    await api?.dispose();
    api = undefined;
  });

  // Finding #3 (fixed): DynamicTasks.create() persisted the task, then registered it; a sync() triggered by
  // its own notice could register it first, and create() then threw "Duplicate task" (500) although the
  // task was created. create() now registers it only when the sync has not.
  it('answers 200 to every one of many concurrent POST /tasks with distinct names', async () => {
    for (let round = 0; round < 3; round++) {
      api = await startApiApp({ groups: [ApiTasks], label: 'rel-race' });
      const statuses = await Promise.all(
        Array.from({ length: 150 }, (_, i) =>
          api!.http
            .post('/task-manager/tasks')
            .send({ task_group_name: 'Api', function_name: 'echo', cron_expression: NEVER, name: `race_${i}` })
            .then((res) => res.status),
        ),
      );
      expect(api.service.listTasks().filter((t) => t.dynamic)).toHaveLength(150);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      await api.dispose();
      api = undefined;
    }
  }, 60_000);

  it('serves concurrent reads and bulk actions without an error', async () => {
    api = await startApiApp({ groups: [ApiTasks], label: 'rel-conc' });
    const requests = Array.from({ length: 200 }, (_, i) => {
      switch (i % 5) {
        case 0:
          return api!.http.get('/task-manager/tasks');
        case 1:
          return api!.http.post('/task-manager/tasks/disable').query({ name: 'static_task' });
        case 2:
          return api!.http.post('/task-manager/tasks/enable').query({ name: 'static_task' });
        case 3:
          return api!.http.get('/task-manager/tasks/Api/static_task/statistics');
        default:
          return api!.http.delete('/task-manager/tasks/statistics').query({ task_group_name: 'Api' });
      }
    });
    const statuses = (await Promise.all(requests)).map((res) => res.status);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  }, 60_000);
});
