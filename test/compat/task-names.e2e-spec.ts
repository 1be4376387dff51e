/**
 * The migration helper `tools/fastapi-task-names.mjs`: it recomputes FastAPI Task Manager's generated names
 * (hashes pinned below were computed with Python: `hashlib.sha256(str(sorted(kwargs.items())).encode())`) and
 * pairs them with ours (`<name>-1`, `<name>-2`...), and turns the original's dynamic tasks into POST /tasks bodies.
 * Pure functions: no Redis, no app.
 */
import {
  mapTaskNames,
  originalExpressionHash,
  originalKwargsHash,
  parseOriginalName,
  pythonRepr,
  type ListedTask,
} from '../../tools/fastapi-task-names.mjs';

const STAFF = '9a9ae22a8698550a6a358159b357d93c38d5567ef287f015623a0ff63296619a';
const CUSTOMERS = 'ef5a79a6bacc07a0142339b24b0df15f0cff8113cfce77ac115b69d569964c27';
const EVERY_HOUR = '98913f9446172179ab75586bb01cfc7714bb7dd6331be4eb02e78fcb3fb10f29';

describe('tools/fastapi-task-names.mjs', () => {
  it('computes the hashes of the original as Python does', () => {
    expect(originalKwargsHash({ audience: 'staff' })).toBe(STAFF);
    expect(originalKwargsHash({ audience: 'customers' })).toBe(CUSTOMERS);
    expect(originalKwargsHash({ c: { x: "it's" }, b: 2, a: [1, true, null] })).toBe(
      '084314749e425acc4daaaa0f7672dac6fdd59d1a8834a84549ebcd183f060c8b',
    );
    expect(originalKwargsHash({ s: 'say "hi"', n: 1.5 })).toBe(
      'd7ca7cd0c9081eb3c6d247f32304af86a615fd0aa23029061a0d2bae9ff2a760',
    );
    expect(originalKwargsHash({})).toBe('');
    expect(originalExpressionHash('0 * * * *')).toBe(EVERY_HOUR);
    expect(pythonRepr({ k: [1e-7, 0.25, 'a\nb'] })).toBe("{'k': [1e-07, 0.25, 'a\\nb']}");
  });

  it('parses generated names, and leaves given ones alone', () => {
    expect(parseOriginalName(`send_digest__${STAFF}__${EVERY_HOUR}__`)).toEqual({
      base: 'send_digest',
      kwargsHash: STAFF,
      expressionHash: EVERY_HOUR,
    });
    expect(parseOriginalName(`tick____${EVERY_HOUR}__`)).toEqual({
      base: 'tick',
      kwargsHash: '',
      expressionHash: EVERY_HOUR,
    });
    expect(parseOriginalName('weekly_report')).toEqual({ base: 'weekly_report' });
  });

  it('maps generated names to ours, by kwargs (or their hash when the original shows none)', () => {
    const t = (task_group_name: string, name: string, expression: string, extra: Partial<ListedTask> = {}) => ({
      task_group_name,
      name,
      expression,
      dynamic: false,
      ...extra,
    });
    const original: ListedTask[] = [
      t('Reports', `send_digest__${STAFF}__${EVERY_HOUR}__`, '0 * * * *', { kwargs: null }),
      t('Reports', `send_digest__${CUSTOMERS}__${EVERY_HOUR}__`, '0 * * * *', { kwargs: { audience: 'customers' } }),
      t('Reports', `tick____${EVERY_HOUR}__`, '0 * * * *'),
      t('Reports', 'gone', '0 * * * *'),
      t('Reports', `weekly__${''}__${EVERY_HOUR}__`, '0 9 * * MON', {
        dynamic: true,
        function_name: 'send_report',
        kwargs: { to: 'ops' },
        tags: ['reports'],
        allow_parallel: false,
      }),
      t('Reports', 'named_by_user', '0 9 * * *', { dynamic: true, function_name: 'send_report', kwargs: {} }),
    ];
    const ours: ListedTask[] = [
      t('Reports', 'send_digest-1', '0 * * * *', { kwargs: { audience: 'staff' } }),
      t('Reports', 'send_digest-2', '0 * * * *', { kwargs: { audience: 'customers' } }),
      t('Reports', 'tick', '0 * * * *', { kwargs: {} }),
    ];
    const result = mapTaskNames(original, ours);
    expect(result.mapped).toEqual([
      { task_group_name: 'Reports', fastapi: original[0].name, ours: 'send_digest-1' },
      { task_group_name: 'Reports', fastapi: original[1].name, ours: 'send_digest-2' },
      { task_group_name: 'Reports', fastapi: original[2].name, ours: 'tick' },
    ]);
    expect(result.unmatched).toEqual([
      {
        task_group_name: 'Reports',
        fastapi: 'gone',
        reason: 'no task of ours with this group, name, expression and kwargs',
      },
    ]);
    expect(result.recreate).toEqual([
      {
        task_group_name: 'Reports',
        function_name: 'send_report',
        cron_expression: '0 9 * * MON',
        kwargs: { to: 'ops' },
        description: null,
        high_priority: false,
        tags: ['reports'],
        retry_backoff: null,
        retry_backoff_max: null,
        allow_parallel: false,
      },
      expect.objectContaining({ name: 'named_by_user', cron_expression: '0 9 * * *', kwargs: {} }),
    ]);
  });
});
