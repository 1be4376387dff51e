/**
 * The dashboard over HTTP (the browser test is test/dashboard.e2e-spec.ts): off by default, served under
 * the API's mount path with its content types and a strict Content-Security-Policy, behind the API's
 * guards, at a custom path and under a global prefix; only its own files are reachable.
 */
import type { CanActivate } from '@nestjs/common';
import type { Request } from 'express';
import { startApiApp, type ApiApp } from './api-app.js';
import { ApiTasks } from './fixtures.js';

const FILES: Array<[string, RegExp]> = [
  ['dashboard.js', /^text\/javascript; charset=utf-8$/],
  ['api.js', /^text\/javascript; charset=utf-8$/],
  ['dialogs.js', /^text\/javascript; charset=utf-8$/],
  ['history.js', /^text\/javascript; charset=utf-8$/],
  ['runs.js', /^text\/javascript; charset=utf-8$/],
  ['task-actions.js', /^text\/javascript; charset=utf-8$/],
  ['task-form.js', /^text\/javascript; charset=utf-8$/],
  ['task-row.js', /^text\/javascript; charset=utf-8$/],
  ['task-state.js', /^text\/javascript; charset=utf-8$/],
  ['widgets.js', /^text\/javascript; charset=utf-8$/],
  ['cron-words.js', /^text\/javascript; charset=utf-8$/],
  ['chart.js', /^text\/javascript; charset=utf-8$/],
  ['dom.js', /^text\/javascript; charset=utf-8$/],
  ['format.js', /^text\/javascript; charset=utf-8$/],
  ['dashboard.css', /^text\/css; charset=utf-8$/],
  ['favicon.svg', /^image\/svg\+xml/],
];

/** Only requests with `x-user: ok`. */
const userOnly: CanActivate = {
  canActivate: (context) => context.switchToHttp().getRequest<Request>().headers['x-user'] === 'ok',
};

describe('dashboard over HTTP', () => {
  describe('without api.dashboard', () => {
    let api: ApiApp;
    beforeAll(async () => {
      api = await startApiApp({ groups: [ApiTasks], label: 'dash-off', api: { path: 'task-manager' } });
    });
    afterAll(() => api?.dispose());

    it('serves no page (404 from the API) and the API still works', async () => {
      const res = await api.http.get('/task-manager/dashboard').expect(404);
      expect(res.body).toEqual({ detail: 'Not Found' });
      await api.http.get('/task-manager/tasks').expect(200);
    });
  });

  describe('with api.dashboard: true', () => {
    let api: ApiApp;
    beforeAll(async () => {
      api = await startApiApp({ groups: [ApiTasks], label: 'dash-on', api: { path: 'task-manager', dashboard: true } });
    });
    afterAll(() => api?.dispose());

    it('serves the page at <mount>/dashboard with a strict Content-Security-Policy', async () => {
      const res = await api.http.get('/task-manager/dashboard').expect(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      const csp = res.headers['content-security-policy'];
      expect(csp).toMatch(/^default-src 'self';/);
      expect(csp).toContain("script-src 'self';");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.text).toContain('<meta name="task-manager-api" content="./" />');
      expect(res.text).toContain('<script type="module" src="dashboard/dashboard.js"></script>');
      // No inline script or style: everything comes from the dashboard's own files.
      expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|style=/);
    });

    it.each(FILES)('serves %s with its content type', async (file, type) => {
      const res = await api.http.get(`/task-manager/dashboard/${file}`).buffer(true).expect(200);
      expect(res.headers['content-type']).toMatch(type);
      expect(res.headers['content-security-policy']).toMatch(/^default-src 'self';/);
      expect((res.text ?? res.body.toString()).length).toBeGreaterThan(100);
    });

    it('serves every module the page imports, and only those (the allow-list is complete)', async () => {
      const seen = new Set<string>();
      const queue = ['dashboard.js'];
      for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
        if (seen.has(file)) continue;
        seen.add(file);
        const res = await api.http.get(`/task-manager/dashboard/${file}`).buffer(true).expect(200);
        for (const [, imported] of (res.text as string).matchAll(/from '\.\/([\w-]+\.js)';/g)) queue.push(imported);
      }
      const scripts = FILES.map(([file]) => file).filter((file) => file.endsWith('.js'));
      expect([...seen].sort()).toEqual(scripts.sort());
    });

    it('answers HEAD, and revalidation with 304', async () => {
      await api.http.head('/task-manager/dashboard/dashboard.js').expect(200);
      const first = await api.http.get('/task-manager/dashboard/dashboard.js').expect(200);
      expect(first.headers['cache-control']).toBe('no-cache');
      const etag = first.headers.etag;
      expect(etag).toBeTruthy();
      await api.http.get('/task-manager/dashboard/dashboard.js').set('If-None-Match', etag).expect(304);
    });

    it('redirects the trailing-slash form to the page', async () => {
      const res = await api.http.get('/task-manager/dashboard/').expect(302);
      expect(res.headers.location).toBe('../dashboard');
    });

    it('answers 404 for any other file (no directory traversal) and 405 for other methods', async () => {
      for (const path of [
        'index.html',
        'cron-words.d.ts',
        'runs.d.ts',
        'task-state.d.ts',
        'nope.js',
        '..%2Fdashboard-assets.js',
        '..%2F..%2Fpackage.json',
        'a/b',
      ]) {
        const res = await api.http.get(`/task-manager/dashboard/${path}`);
        expect(res.status, path).toBe(404);
      }
      const post = await api.http.post('/task-manager/dashboard').expect(405);
      expect(post.headers.allow).toBe('GET');
      expect(post.body.detail).toMatch(/Method Not Allowed/);
      await api.http.delete('/task-manager/dashboard/dashboard.js').expect(405);
    });

    it('is left out of the OpenAPI routes (the API keeps answering beside it)', async () => {
      await api.http.get('/task-manager/workers').expect(200);
      await api.http.get('/task-manager/nope').expect(404);
    });
  });

  describe('at a custom path, under a global prefix, behind guards', () => {
    let api: ApiApp;
    beforeAll(async () => {
      api = await startApiApp({
        groups: [ApiTasks],
        label: 'dash-custom',
        api: { path: 'ops/scheduler', guards: [userOnly], dashboard: { path: '/ui/board/' } },
        configure: (app) => app.setGlobalPrefix('admin'),
      });
    });
    afterAll(() => api?.dispose());

    it('serves the page with URLs relative to its own path', async () => {
      const res = await api.http.get('/admin/ops/scheduler/ui/board').set('x-user', 'ok').expect(200);
      expect(res.text).toContain('<meta name="task-manager-api" content="../" />');
      expect(res.text).toContain('src="board/dashboard.js"');
      await api.http.get('/admin/ops/scheduler/ui/board/dashboard.css').set('x-user', 'ok').expect(200);
      // The relative API root resolves to the mount path.
      expect(new URL('../', 'http://h/admin/ops/scheduler/ui/board').pathname).toBe('/admin/ops/scheduler/');
    });

    it("applies the API's guards to the page and its files", async () => {
      const page = await api.http.get('/admin/ops/scheduler/ui/board').expect(403);
      expect(page.body.detail).toBeTruthy();
      await api.http.get('/admin/ops/scheduler/ui/board/dashboard.js').expect(403);
      await api.http.get('/admin/ops/scheduler/dashboard').set('x-user', 'ok').expect(404);
    });
  });

  describe('options', () => {
    it.each([
      [{ path: 'tasks' }, /must not start with a route of the API/],
      [{ path: 'workers/x' }, /must not start with a route of the API/],
      [{ path: '' }, /non-empty URL path/],
      [{ path: 'a/../b' }, /"\." or "\.\." segments/],
      [{ path: 'a b' }, /non-empty URL path/],
      [{ enabled: 'yes' }, /api\.dashboard\.enabled must be true or false/],
      ['yes', /api\.dashboard must be true, false or an object/],
    ])('rejects api.dashboard %j', async (dashboard, message) => {
      await expect(
        startApiApp({ groups: [ApiTasks], label: 'dash-bad', api: { dashboard: dashboard as never } }),
      ).rejects.toThrow(message);
    });

    it('is off with enabled: false', async () => {
      const api = await startApiApp({
        groups: [ApiTasks],
        label: 'dash-disabled',
        api: { dashboard: { enabled: false } },
      });
      try {
        await api.http.get('/task-manager/dashboard').expect(404);
      } finally {
        await api.dispose();
      }
    });
  });
});
