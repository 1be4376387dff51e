/**
 * The dashboard in a real headless Chromium (Debian's `chromium`, driven by playwright-core; no browser is
 * downloaded): a Nest app on real Redis listens on a free port with the API under a global prefix and a
 * custom mount path, behind cookie guards; a second instance joins as a follower. The page lists the
 * tasks (a task named `<b>x</b>` displays verbatim), a click on "Trigger" runs the task and its run
 * appears in its last status and history, an action refused by the admin guard shows the API's detail,
 * and a screenshot is saved to docs/dashboard.png.
 *
 * Skips only when /usr/bin/chromium is absent (`apt-get install chromium`).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Injectable, Module, type CanActivate, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Request } from 'express';
import { Task, TaskGroup, TaskManagerModule, TaskManagerService, type TaskContext } from 'nestjs-task-manager';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { cleanupPrefix, freePort, redisUrl, uniquePrefix, waitFor } from './support/redis.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const SCREENSHOT = fileURLToPath(new URL('../docs/dashboard.png', import.meta.url));
const HTML_NAME = '<b>x</b>';
const NEVER = '0 0 1 1 *';

if (!available) {
  console.warn(`[dashboard.e2e] SKIPPED: ${CHROMIUM} not found (install it with: apt-get install -y chromium).`);
}

/** Pauses for a short, varying time: the history chart gets bars of different heights. */
const work = (ms: number) => sleep(ms);
/** Calls of sync_inventory on any instance (both instances of the test run in this process). */
let syncCalls = 0;

@TaskGroup({ name: 'Reports', tags: ['reports'] })
@Injectable()
class ReportTasks {
  @Task('30 9 * * 1-5', { name: 'send_digest', description: 'Daily digest mail', timeZone: 'Europe/Paris' })
  async sendDigest(): Promise<void> {
    await work(15);
  }

  /** Fails every third call, with durations varying between runs. */
  @Task('*/15 * * * *', { name: 'sync_inventory', description: 'Pulls stock levels', tags: ['sync'] })
  async syncInventory(): Promise<void> {
    const call = ++syncCalls;
    await work(20 + ((call * 37) % 90));
    if (call % 3 === 0) throw new Error(`upstream answered 502 (call ${call})`);
  }

  @Task('0 3 1 * *', { name: 'monthly_invoices', highPriority: true })
  async monthlyInvoices(): Promise<void> {}
}

@TaskGroup({ name: 'Ops', tags: ['ops'] })
@Injectable()
class OpsTasks {
  /** A name that would be markup if the dashboard ever used innerHTML. */
  @Task(NEVER, { name: HTML_NAME, description: `"quotes" & 'apostrophes' — ünïcödé ✓` })
  async markup(_kwargs: Record<string, unknown>, ctx: TaskContext): Promise<void> {
    await work(ctx.attempt * 30);
  }

  @Task('0 * * * *', { name: 'vacuum', tags: ['db'] })
  async vacuum(): Promise<void> {}
}

/** GET guard: a `session=ok` cookie. */
const sessionGuard: CanActivate = {
  canActivate: (context) =>
    /(?:^|;\s*)session=ok(?:;|$)/.test(context.switchToHttp().getRequest<Request>().headers.cookie ?? ''),
};
/** Admin guard: a `role=admin` cookie. */
const adminGuard: CanActivate = {
  canActivate: (context) =>
    /(?:^|;\s*)role=admin(?:;|$)/.test(context.switchToHttp().getRequest<Request>().headers.cookie ?? ''),
};

function appModule(prefix: string): Type {
  @Module({
    imports: [
      TaskManagerModule.forRoot({
        redis: redisUrl(),
        keyPrefix: prefix,
        api: {
          path: 'ops/scheduler',
          guards: [sessionGuard],
          adminGuards: [adminGuard],
          dashboard: { path: 'board' },
        },
      }),
    ],
    providers: [ReportTasks, OpsTasks],
  })
  class DashboardTestModule {}
  return DashboardTestModule;
}

describe.skipIf(!available)('dashboard in headless Chromium', () => {
  const prefix = uniquePrefix('dashboard');
  const userDataDir = mkdtempSync(join(tmpdir(), 'tm-dashboard-chromium-'));
  const apps: INestApplication[] = [];
  let service: TaskManagerService;
  let context: BrowserContext;
  let page: Page;
  let origin: string;
  const problems: string[] = [];

  beforeAll(async () => {
    const leader = await NestFactory.create(appModule(prefix), { logger: ['error'] });
    leader.setGlobalPrefix('admin');
    apps.push(leader);
    const port = await freePort();
    await leader.listen(port, '127.0.0.1');
    origin = `http://127.0.0.1:${port}`;
    service = leader.get(TaskManagerService);
    await waitFor(() => service.health().isLeader, { message: 'the first instance to lead' });
    // A second instance (no HTTP) joins as a follower: the workers table shows both.
    const follower = await NestFactory.create(appModule(prefix), { logger: ['error'] });
    await follower.init();
    apps.push(follower);

    // Some history for the chart: successes and failures of various durations.
    for (let i = 1; i <= 11; i++) {
      await service.trigger({ groupName: 'Reports', name: 'sync_inventory' });
      await waitFor(async () => (await service.getStatistics('Reports', 'sync_inventory')).length === i, {
        message: `run ${i} of sync_inventory`,
      });
    }
    await service.trigger({ groupName: 'Reports', name: 'send_digest' });
    await service.disable({ groupName: 'Ops', name: 'vacuum' });
    await waitFor(async () => (await service.getStatistics('Reports', 'send_digest')).length === 1);
    await waitFor(async () => (await service.workers()).length === 2, { message: 'two workers' });

    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 800 },
      deviceScaleFactor: 1,
      locale: 'en-GB',
      timezoneId: 'UTC',
      colorScheme: 'light',
    });
    await context.addCookies([
      { name: 'session', value: 'ok', url: origin },
      { name: 'role', value: 'admin', url: origin },
    ]);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
  });

  afterAll(async () => {
    await context?.close();
    for (const app of apps.reverse()) await app.close();
    await cleanupPrefix(prefix);
    rmSync(userDataDir, { recursive: true, force: true });
  });

  const rowOf = (group: string, task: string) =>
    page
      .locator('#tasks-body tr')
      .filter({ has: page.locator('th.name .task-name', { hasText: task }) })
      .filter({
        has: page.locator('td.group', { hasText: group }),
      });

  it('loads under a global prefix and a custom mount path, and lists every task with names escaped', async () => {
    const response = await page.goto(`${origin}/admin/ops/scheduler/board`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/^default-src 'self';/);
    await page.locator('#tasks-body tr').nth(4).waitFor();
    expect(await page.locator('#tasks-body tr').count()).toBe(5);

    // The name shows verbatim: text, never markup.
    const markup = rowOf('Ops', HTML_NAME);
    await expect.poll(() => markup.locator('.task-name').textContent()).toBe(HTML_NAME);
    expect(await page.locator('#tasks-body b').count()).toBe(0);
    expect(await markup.locator('.description').textContent()).toBe(`"quotes" & 'apostrophes' — ünïcödé ✓`);

    const digest = rowOf('Reports', 'send_digest');
    expect(await digest.locator('td.schedule .words').textContent()).toBe('weekdays at 09:30');
    expect(await digest.locator('td.zone').textContent()).toBe('Europe/Paris');
    expect(await digest.locator('td.next time').getAttribute('datetime')).toMatch(/T\d{2}:30:00Z$/);
    expect(await digest.locator('td.next .rel').textContent()).toMatch(/^(in |tomorrow)/);
    expect(await digest.locator('td.last .badge').textContent()).toBe('success');
    expect(await rowOf('Reports', 'sync_inventory').locator('td.schedule .words').textContent()).toBe(
      'every 15 minutes',
    );
    expect(await rowOf('Ops', 'vacuum').locator('td.enabled').textContent()).toBe('disabled');
    expect(await markup.locator('td.last').textContent()).toBe('never run');

    // Workers: both instances, one leader.
    await expect.poll(() => page.locator('#workers-body tr').count()).toBe(2);
    expect(await page.locator('#workers-body .badge.leader').count()).toBe(1);
    expect(await page.locator('#health').textContent()).toContain('Redis connected');
  });

  it('filters by group and by tag', async () => {
    await page.selectOption('#filter-group', 'Ops');
    expect(await page.locator('#tasks-body tr').count()).toBe(2);
    await page.selectOption('#filter-group', '');
    await page.selectOption('#filter-tag', 'sync');
    expect(await page.locator('#tasks-body tr .task-name').allTextContents()).toEqual(['sync_inventory']);
    await page.selectOption('#filter-tag', '');
    expect(await page.locator('#tasks-body tr').count()).toBe(5);
  });

  it('triggers a task from its button; the run appears in its last status and history', async () => {
    const markup = rowOf('Ops', HTML_NAME);
    await page.getByRole('button', { name: `Trigger Ops / ${HTML_NAME}`, exact: true }).click();
    await expect.poll(() => page.locator('#notice').textContent()).toBe(`Triggered Ops / ${HTML_NAME}`);
    await expect.poll(() => markup.locator('td.last .badge').textContent(), { timeout: 15_000 }).toBe('success');

    // Triggering selected the task: its history shows the run, as a bar of the chart and a table row.
    await expect.poll(() => page.locator('#history h3').textContent()).toBe(`Runs of Ops / ${HTML_NAME}`);
    await expect.poll(() => page.locator('#history table.runs tbody tr').count(), { timeout: 15_000 }).toBe(1);
    expect(await page.locator('#history svg rect.bar.success').count()).toBe(1);
    expect(await page.locator('#history svg title').first().textContent()).toBe(
      `Run history of Ops / ${HTML_NAME}: duration and status over time`,
    );
    expect(await page.locator('#history table.runs tbody tr .badge').textContent()).toBe('success');
    expect(await page.locator('#history b').count()).toBe(0);
    expect((await service.getStatistics('Ops', HTML_NAME)).length).toBe(1);
  });

  it('disables and re-enables a task from its buttons', async () => {
    const digest = rowOf('Reports', 'send_digest');
    await page.getByRole('button', { name: 'Disable Reports / send_digest', exact: true }).click();
    await expect.poll(() => digest.locator('td.enabled').textContent()).toBe('disabled');
    expect((await service.getTasks({ groupName: 'Reports', name: 'send_digest' }))[0].state.disabled).toBe(true);
    await page.getByRole('button', { name: 'Enable Reports / send_digest', exact: true }).click();
    await expect.poll(() => digest.locator('td.enabled').textContent()).toBe('enabled');
  });

  it("shows the admin guard's refusal without changing anything", async () => {
    await context.clearCookies({ name: 'role' });
    await page.getByRole('button', { name: 'Disable Reports / send_digest', exact: true }).click();
    await expect
      .poll(() => page.locator('#error .message').textContent())
      .toMatch(/^Disable Reports \/ send_digest failed: Not allowed \(403\)/);
    expect((await service.getTasks({ groupName: 'Reports', name: 'send_digest' }))[0].state.disabled).toBe(false);
    await context.addCookies([{ name: 'role', value: 'admin', url: origin }]);
  });

  it('charts a history of successes and failures, and saves a screenshot to docs/dashboard.png', async () => {
    await page.reload();
    await page.getByRole('button', { name: 'History of Reports / sync_inventory', exact: true }).click();
    await expect.poll(() => page.locator('#history svg rect.bar').count()).toBe(11);
    expect(await page.locator('#history svg rect.bar.failed').count()).toBe(3);
    expect(await page.locator('#history svg desc').textContent()).toMatch(/^11 most recent runs, 3 failed\./);
    expect(await page.locator('#error').isHidden()).toBe(true);
    // Auto-refresh keeps the page current without a reload.
    await service.trigger({ groupName: 'Reports', name: 'sync_inventory' });
    await expect.poll(() => page.locator('#history svg rect.bar').count(), { timeout: 15_000 }).toBe(12);

    await page.mouse.move(0, 0);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    expect(existsSync(SCREENSHOT)).toBe(true);
    // No CSP violation, script error or failed request in the page's console.
    expect(problems.filter((p) => !p.includes('403'))).toEqual([]);
  });
});
