import { describe, expect, it } from 'vitest';
import type { TaskDeclaration, TaskOptions } from '../src/decorators/task.decorator.js';
import type { TaskHandler } from '../src/decorators/task-context.interface.js';
import { TaskManagerConfigurationError } from '../src/errors/task-manager-configuration.error.js';
import { resolveOptions } from '../src/options/resolve-options.js';
import type { ResolvedTaskManagerOptions } from '../src/options/resolved-options.js';
import type { TaskGroupDefinition } from '../src/registry/task-definition.js';
import { buildTasks } from '../src/registry/task-factory.js';
import { MAX_NAME_LENGTH, newNameProblem } from '../src/task-spec/names.js';
import { decodeTaskId } from '../src/registry/task-id.js';

const MODULE_OPTIONS: ResolvedTaskManagerOptions = resolveOptions({
  keyPrefix: 'test',
});
const GROUP: TaskGroupDefinition = {
  name: 'reports',
  tags: ['reporting', 'nightly'],
  className: 'ReportTasks',
};
const handler: TaskHandler = () => 'done';

function build(
  expressions: string[],
  options: TaskOptions = {},
  {
    group = GROUP,
    moduleOptions = MODULE_OPTIONS,
    methodName = 'refresh',
  }: {
    group?: TaskGroupDefinition;
    moduleOptions?: ResolvedTaskManagerOptions;
    methodName?: string;
  } = {},
) {
  const declaration: TaskDeclaration = { expressions, options };
  return buildTasks(group, declaration, methodName, handler, moduleOptions);
}

/** The configuration error message `build(...)` throws. */
function problemOf(expressions: string[], options: Record<string, unknown>): string {
  try {
    build(expressions, options as TaskOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(TaskManagerConfigurationError);
    return (error as Error).message;
  }
  return expect.fail(`buildTasks(${JSON.stringify(expressions)}, ${JSON.stringify(options)}) did not throw`);
}

describe('buildTasks: names and multiplicity', () => {
  it('one expression: one task named after the method, with defaults resolved', () => {
    const [task, ...rest] = build(['*/5 * * * *']);
    expect(rest).toEqual([]);
    expect(task).toMatchObject({
      groupName: 'reports',
      name: 'refresh',
      expression: '*/5 * * * *',
      timeZone: 'UTC',
      kwargs: null,
      description: null,
      highPriority: false,
      allowParallel: true,
      retryBackoff: null,
      retryBackoffMax: null,
      misfirePolicy: 'runOnce',
      maxAttempts: 1,
      timeoutMs: null,
      dynamic: false,
      functionName: null,
      source: 'ReportTasks.refresh',
    });
    expect(decodeTaskId(task.id)).toEqual({
      group: 'reports',
      task: 'refresh',
    });
    expect(task.handler).toBe(handler);
    expect(task.schedule.nextAfter(Date.parse('2026-01-01T10:01:00Z'))).toBe(Date.parse('2026-01-01T10:05:00Z'));
  });

  it('uses the declared name over the method name and trims the expression', () => {
    const [task] = build(['  0 9 * * *  '], { name: 'morning report' });
    expect(task.name).toBe('morning report');
    expect(task.expression).toBe('0 9 * * *');
    expect(decodeTaskId(task.id).task).toBe('morning report');
  });

  it('two expressions: two tasks name-1, name-2, one per expression', () => {
    const tasks = build(['0 9 * * *', '0 18 * * *']);
    expect(tasks.map((t) => [t.name, t.expression])).toEqual([
      ['refresh-1', '0 9 * * *'],
      ['refresh-2', '0 18 * * *'],
    ]);
    expect(new Set(tasks.map((t) => t.id)).size).toBe(2);
  });

  it('generated names add only URL-safe characters (RFC 3986 unreserved) and are the same on every build', () => {
    const names = build(['0 9 * * *', '0 18 * * *'], { name: 'send_digest', kwargs: [{ a: 1 }, { a: 2 }] }).map(
      (t) => t.name,
    );
    for (const name of names) {
      expect(name).toMatch(/^send_digest[A-Za-z0-9\-._~]+$/);
      expect(encodeURIComponent(name)).toBe(name);
    }
    expect(
      build(['0 9 * * *', '0 18 * * *'], { name: 'send_digest', kwargs: [{ a: 1 }, { a: 2 }] }).map((t) => t.name),
    ).toEqual(names);
  });

  it('a single kwargs object makes one task carrying it', () => {
    const [task, ...rest] = build(['0 9 * * *'], { kwargs: { region: 'eu' } });
    expect(rest).toEqual([]);
    expect(task.name).toBe('refresh');
    expect(task.kwargs).toEqual({ region: 'eu' });
  });

  it('a kwargs list of 2 times 2 expressions: 4 tasks, each with its kwargs', () => {
    const tasks = build(['0 9 * * *', '0 18 * * *'], {
      name: 'sync',
      kwargs: [{ region: 'eu' }, { region: 'us' }],
    });
    expect(
      tasks.map((t) => ({
        name: t.name,
        expression: t.expression,
        kwargs: t.kwargs,
      })),
    ).toEqual([
      { name: 'sync-1', expression: '0 9 * * *', kwargs: { region: 'eu' } },
      { name: 'sync-2', expression: '0 9 * * *', kwargs: { region: 'us' } },
      { name: 'sync-3', expression: '0 18 * * *', kwargs: { region: 'eu' } },
      { name: 'sync-4', expression: '0 18 * * *', kwargs: { region: 'us' } },
    ]);
    expect(new Set(tasks.map((t) => t.id)).size).toBe(4);
  });
});

describe('buildTasks: option cascade', () => {
  it('merges task tags with group tags, without duplicates, group tags first', () => {
    const [task] = build(['0 9 * * *'], { tags: ['nightly', 'pdf', 'pdf'] });
    expect(task.tags).toEqual(['reporting', 'nightly', 'pdf']);
  });

  it('inherits the group tags when the task has none', () => {
    expect(build(['0 9 * * *'])[0].tags).toEqual(['reporting', 'nightly']);
  });

  it('allowParallel: task > group > module', () => {
    const moduleFalse = resolveOptions({
      keyPrefix: 'test',
      allowParallel: false,
    });
    const groupTrue: TaskGroupDefinition = { ...GROUP, allowParallel: true };
    const groupFalse: TaskGroupDefinition = { ...GROUP, allowParallel: false };
    const allowParallel = (
      options: TaskOptions,
      group: TaskGroupDefinition,
      moduleOptions: ResolvedTaskManagerOptions,
    ) => build(['* * * * *'], options, { group, moduleOptions })[0].allowParallel;

    // module only
    expect(allowParallel({}, GROUP, MODULE_OPTIONS)).toBe(true);
    expect(allowParallel({}, GROUP, moduleFalse)).toBe(false);
    // group beats module
    expect(allowParallel({}, groupTrue, moduleFalse)).toBe(true);
    expect(allowParallel({}, groupFalse, MODULE_OPTIONS)).toBe(false);
    // task beats group and module
    expect(allowParallel({ allowParallel: true }, groupFalse, moduleFalse)).toBe(true);
    expect(allowParallel({ allowParallel: false }, groupTrue, MODULE_OPTIONS)).toBe(false);
  });

  it('timeZone and misfirePolicy: task > module', () => {
    const moduleOptions = resolveOptions({
      keyPrefix: 'test',
      timeZone: 'Europe/Paris',
      misfirePolicy: 'skip',
    });
    expect(build(['0 9 * * *'], {}, { moduleOptions })[0]).toMatchObject({
      timeZone: 'Europe/Paris',
      misfirePolicy: 'skip',
    });
    expect(
      build(['0 9 * * *'], { timeZone: 'Asia/Tokyo', misfirePolicy: 'runAll' }, { moduleOptions })[0],
    ).toMatchObject({
      timeZone: 'Asia/Tokyo',
      misfirePolicy: 'runAll',
    });
    // The schedule really uses the resolved zone: 09:00 Paris in January is 08:00Z.
    const [paris] = build(['0 9 * * *'], {}, { moduleOptions });
    expect(new Date(paris.schedule.nextAfter(Date.parse('2026-01-15T00:00:00Z'))).toISOString()).toBe(
      '2026-01-15T08:00:00.000Z',
    );
  });

  it('keeps per-task overrides as declared', () => {
    const [task] = build(['* * * * *'], {
      description: 'd',
      highPriority: true,
      retryBackoff: 2,
      retryBackoffMax: 30,
      maxAttempts: 3,
      timeoutMs: 500,
    });
    expect(task).toMatchObject({
      description: 'd',
      highPriority: true,
      retryBackoff: 2,
      retryBackoffMax: 30,
      maxAttempts: 3,
      timeoutMs: 500,
    });
  });
});

describe('buildTasks: invalid declarations name Class.method', () => {
  it('rejects an invalid cron expression', () => {
    const message = problemOf(['61 * * * *'], {});
    expect(message).toMatch(/^Invalid @Task on ReportTasks\.refresh: invalid cron expression "61 \* \* \* \*"/);
  });

  it('rejects an out-of-range step (the one cron rule, as for dynamic tasks)', () => {
    expect(problemOf(['*/61 * * * *'], {})).toMatch(
      /^Invalid @Task on ReportTasks\.refresh: invalid cron expression "\*\/61 \* \* \* \*": minute step "\/61" must be between 1 and 59/,
    );
  });

  it('accepts a nickname, kept as written', () => {
    const [task] = build(['@daily']);
    expect(task.expression).toBe('@daily');
    expect(new Date(task.schedule.nextAfter(Date.parse('2026-03-10T12:00:00Z'))).toISOString()).toBe(
      '2026-03-11T00:00:00.000Z',
    );
  });

  it('rejects an invalid second expression even when the first is fine', () => {
    expect(problemOf(['* * * * *', 'every day'], {})).toMatch(
      /Invalid @Task on ReportTasks\.refresh: cron expression "every day" has 2 field\(s\)/,
    );
  });

  it('rejects an unknown time zone', () => {
    expect(problemOf(['* * * * *'], { timeZone: 'Moon/Base' })).toMatch(
      /ReportTasks\.refresh: `timeZone` must be an IANA time zone such as "Europe\/Paris" \(got "Moon\/Base"\)/,
    );
  });

  it('rejects an empty expression list', () => {
    expect(problemOf([], {})).toMatch(/ReportTasks\.refresh: at least one cron expression is required/);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['negative retryBackoff', { retryBackoff: -1 }, /`retryBackoff` must be > 0 and at most 31536000 \(seconds\)/],
    ['zero retryBackoffMax', { retryBackoffMax: 0 }, /`retryBackoffMax` must be > 0 and at most 31536000 \(seconds\)/],
    [
      'retryBackoffMax < retryBackoff',
      { retryBackoff: 10, retryBackoffMax: 5 },
      /`retryBackoffMax` must be >= retryBackoff \(10\)/,
    ],
    ['maxAttempts 0', { maxAttempts: 0 }, /`maxAttempts` must be an integer >= 1/],
    ['fractional maxAttempts', { maxAttempts: 1.5 }, /`maxAttempts` must be an integer >= 1/],
    ['unknown misfirePolicy', { misfirePolicy: 'x' }, /`misfirePolicy` must be one of runOnce, skip, runAll/],
    ['tags not strings', { tags: ['ok', 42] }, /`tags` \[1\] must be a non-empty string of at most 200/],
    ['tags not an array', { tags: 'nightly' }, /`tags` must be an array of strings/],
    ['empty kwargs list', { kwargs: [] }, /`kwargs` is an empty list; omit it or give at least one entry/],
    ['kwargs entry not an object', { kwargs: [{ a: 1 }, 'b'] }, /`kwargs\[1\]` must be a JSON object/],
    ['non-boolean highPriority', { highPriority: 'yes' }, /`highPriority` must be true or false/],
    ['non-boolean register', { register: 1 }, /`register` must be true or false/],
    ['zero timeoutMs', { timeoutMs: 0 }, /`timeoutMs` must be a positive number \(got 0\)/],
    ['empty name', { name: '' }, /`name` must not be empty/],
    ['name too long', { name: 'x'.repeat(MAX_NAME_LENGTH + 1) }, /`name` must be at most 1024 characters/],
  ])('rejects %s', (_label, options, expected) => {
    const message = problemOf(['* * * * *'], options);
    expect(message).toMatch(/^Invalid @Task on ReportTasks\.refresh: /);
    expect(message).toMatch(expected);
  });

  it('rejects a generated name that becomes too long once suffixed', () => {
    const name = 'x'.repeat(MAX_NAME_LENGTH - 1);
    expect(build(['* * * * *'], { name })[0].name).toBe(name);
    expect(problemOf(['* * * * *', '0 * * * *'], { name })).toMatch(
      /ReportTasks\.refresh: task name must be at most 1024 characters/,
    );
  });
});

describe('newNameProblem', () => {
  it('accepts 1 to 1024 characters, anything else is refused with a reason', () => {
    expect(newNameProblem('a')).toBeUndefined();
    expect(newNameProblem('x'.repeat(1024))).toBeUndefined();
    expect(newNameProblem('x'.repeat(1025))).toBe('must be at most 1024 characters');
    expect(newNameProblem('')).toBe('must not be empty');
    expect(newNameProblem(undefined)).toBe('is required');
    expect(newNameProblem(7)).toBe('must be a string');
  });
});

describe('names that are not valid Unicode', () => {
  it('rejects a lone UTF-16 surrogate with a readable message instead of a URIError', () => {
    expect(newNameProblem('a\uD800')).toMatch(/lone UTF-16 surrogate/);
    expect(newNameProblem('\uDC00b')).toMatch(/lone UTF-16 surrogate/);
    expect(newNameProblem('emoji 😀 ok')).toBeUndefined();
  });
});
