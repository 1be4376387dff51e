/** The dashboard's task counts, search and run paging (plain browser modules, tested here under Node). */
import { PAGE_SIZE, runKind, runPage, startDelay } from '../src/dashboard/assets/runs.js';
import { countStates, inState, matchesSearch } from '../src/dashboard/assets/task-state.js';

const NOW = Date.parse('2026-03-08T10:00:00Z');
const task = (over: Partial<Parameters<typeof inState>[0]> = {}) => ({
  name: 'send_digest',
  task_group_name: 'Reports',
  tags: ['reports', 'mail'],
  is_running: false,
  last_status: null,
  retry_after: null,
  is_active: true,
  ...over,
});

describe('task states', () => {
  it('counts running, failed last run, in backoff (a retry time still to come) and disabled tasks', () => {
    const tasks = [
      task({ is_running: true, last_status: 'failed', retry_after: '2026-03-08T10:00:05Z' }),
      task({ last_status: 'failed', retry_after: '2026-03-08T09:59:59Z' }),
      task({ is_active: false, last_status: 'success' }),
      task(),
    ];
    expect(countStates(tasks, NOW)).toEqual({ running: 1, failed: 2, backoff: 1, disabled: 1 });
    expect(inState(tasks[1], 'backoff', NOW)).toBe(false);
  });

  it('searches every word in the name, the group or a tag, ignoring case', () => {
    expect(matchesSearch(task(), '')).toBe(true);
    expect(matchesSearch(task(), 'DIGEST')).toBe(true);
    expect(matchesSearch(task(), 'report mail')).toBe(true);
    expect(matchesSearch(task(), 'digest sms')).toBe(false);
    expect(matchesSearch(task({ name: '<b>x</b>' }), '<b>')).toBe(true);
  });
});

describe('runs', () => {
  const runs = Array.from({ length: 23 }, (_, i) => ({ n: i + 1 }));

  it('pages the runs newest first, clamping the page', () => {
    expect(PAGE_SIZE).toBe(10);
    const first = runPage(runs, 0);
    expect(first.rows.map((r) => r.n)).toEqual([23, 22, 21, 20, 19, 18, 17, 16, 15, 14]);
    expect(first).toMatchObject({ page: 0, pages: 3, from: 1, to: 10, total: 23 });
    expect(runPage(runs, 2)).toMatchObject({ page: 2, from: 21, to: 23 });
    expect(runPage(runs, 2).rows.map((r) => r.n)).toEqual([3, 2, 1]);
    expect(runPage(runs, 9).page).toBe(2);
    expect(runPage(runs, -1).page).toBe(0);
    expect(runPage([], 0)).toMatchObject({ rows: [], page: 0, pages: 1, from: 0, to: 0, total: 0 });
  });

  it('names what started a run, when the API says', () => {
    expect(runKind({ kind: 'trigger' })).toBe('manual');
    expect(runKind({ kind: 'scheduled' })).toBe('scheduled');
    expect(runKind({ kind: 'misfire' })).toBe('scheduled (missed slot)');
    expect(runKind({ kind: 'retry' })).toBe('retry');
    expect(runKind({})).toBeNull();
  });

  it('measures the start against the slot', () => {
    const run = { scheduled_at: '2026-03-08T10:00:00Z', started_at: '2026-03-08T10:00:01.250Z', worker_id: 'w' };
    expect(startDelay(run)).toBe(1.25);
    expect(startDelay({ ...run, scheduled_at: 'nope' })).toBeNull();
  });
});
