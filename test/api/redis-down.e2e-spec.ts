/**
 * The management API while Redis is down: reads and actions that need Redis answer 503 with a detail
 * (never 500), /health and /config keep answering, and everything recovers when Redis is back.
 */
import { startRedisServer, waitFor, type RedisServerHandle } from '../support/redis.js';
import { startApiApp, type ApiApp } from './api-app.js';
import { ApiTasks } from './fixtures.js';

describe('management API with Redis down', () => {
  let server: RedisServerHandle;
  let api: ApiApp;

  beforeAll(async () => {
    server = await startRedisServer();
    api = await startApiApp({ groups: [ApiTasks], label: 'api-down', options: { redis: server.url } });
  });
  afterAll(async () => {
    await api?.close();
    await server?.stop();
  });

  it('answers 503 while Redis is unreachable, then recovers', async () => {
    await api.http.get('/task-manager/tasks').expect(200);
    await server.stop();

    for (const req of [
      () => api.http.get('/task-manager/tasks'),
      () => api.http.post('/task-manager/tasks/disable').query({ name: 'static_task' }),
      () => api.http.get('/task-manager/tasks/Api/static_task/statistics'),
    ]) {
      const res = await req();
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ detail: 'Redis is unavailable; retry later' });
    }
    const health = await api.http.get('/task-manager/health').expect(200);
    expect(health.body).toMatchObject({ status: 'unhealthy', redis_connected: false });
    await api.http.get('/task-manager/config').expect(200);

    await server.restart();
    await waitFor(async () => (await api.http.get('/task-manager/tasks')).status === 200, {
      timeoutMs: 15_000,
      message: 'the API answers again',
    });
    expect((await api.http.get('/task-manager/health').expect(200)).body.redis_connected).toBe(true);
  });
});
