import { describe, expect, it } from 'vitest';
import { CronSchedule } from '../src/cron/cron-schedule.js';
import { TaskManagerConfigurationError } from '../src/errors/task-manager-configuration.error.js';
import type { RegisteredFunction, TaskDefinition, TaskGroupDefinition } from '../src/registry/task-definition.js';
import { encodeTaskId } from '../src/registry/task-id.js';
import { makeTask } from './support/task-definition.fixture.js';
import { TaskRegistry, type TaskFilter, type TaskPage } from '../src/registry/task-registry.js';

const SCHEDULE = CronSchedule.parse('* * * * *');

function group(name: string, className: string): TaskGroupDefinition {
  return { name, tags: [], className };
}

function task(
  groupName: string,
  name: string,
  tags: string[] = [],
  source = `${groupName}Tasks.${name}`,
): TaskDefinition {
  return makeTask({ groupName, name, expression: '* * * * *', schedule: SCHEDULE, tags, source });
}

function fn(groupName: string, name: string, source: string): RegisteredFunction {
  return { groupName, name, handler: () => undefined, source };
}

function thrown(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  return expect.fail('expected an error');
}

describe('TaskRegistry: duplicates', () => {
  it('rejects a duplicate group name, naming both classes', () => {
    const registry = new TaskRegistry();
    registry.addGroup(group('billing', 'BillingTasks'));
    const error = thrown(() => registry.addGroup(group('billing', 'LegacyBillingTasks')));
    expect(error).toBeInstanceOf(TaskManagerConfigurationError);
    expect(error.message).toBe(
      'Duplicate task group name "billing": declared by BillingTasks and by LegacyBillingTasks. Group names must be unique.',
    );
    expect(registry.getGroup('billing')?.className).toBe('BillingTasks');
  });

  it('rejects a duplicate task, naming the group, the task and its source', () => {
    const registry = new TaskRegistry();
    registry.addTask(task('billing', 'invoice', [], 'BillingTasks.invoice'));
    const error = thrown(() => registry.addTask(task('billing', 'invoice', [], 'BillingTasks.invoiceAgain')));
    expect(error).toBeInstanceOf(TaskManagerConfigurationError);
    expect(error.message).toMatch(
      /Duplicate task "invoice" in group "billing": declared by BillingTasks\.invoice and by BillingTasks\.invoiceAgain\./,
    );
    expect(registry.getTask(encodeTaskId('billing', 'invoice'))?.source).toBe('BillingTasks.invoice');
    expect(registry.size).toBe(1);
  });

  it('keeps tasks apart whose names would collide in a separator-joined key', () => {
    const registry = new TaskRegistry();
    registry.addTask(task('a_b', 'c'));
    registry.addTask(task('a', 'b_c'));
    registry.addTask(task('a:b', 'c'));
    registry.addTask(task('a', 'b:c'));
    expect(registry.size).toBe(4);
  });

  it('rejects a duplicate registered function per group, naming its source', () => {
    const registry = new TaskRegistry();
    registry.addFunction(fn('billing', 'charge', 'BillingTasks.charge'));
    registry.addFunction(fn('shipping', 'charge', 'ShippingTasks.charge'));
    const error = thrown(() => registry.addFunction(fn('billing', 'charge', 'BillingTasks.chargeAgain')));
    expect(error).toBeInstanceOf(TaskManagerConfigurationError);
    expect(error.message).toMatch(
      /Duplicate registered function "charge" in group "billing": declared by BillingTasks\.charge and by BillingTasks\.chargeAgain\./,
    );
    expect(registry.getFunction('billing', 'charge')?.source).toBe('BillingTasks.charge');
    expect(registry.getFunction('shipping', 'charge')?.source).toBe('ShippingTasks.charge');
    expect(registry.listFunctions('billing')).toHaveLength(1);
    expect(registry.listFunctions()).toHaveLength(2);
  });

  it('finds a function by its alias too (never listed); a name beats an alias', () => {
    const registry = new TaskRegistry();
    registry.addFunction({ ...fn('reports', 'send_digest', 'ReportTasks.sendDigest'), alias: 'sendDigest' });
    registry.addFunction({ ...fn('reports', 'archive', 'ReportTasks.archive'), alias: 'send_report' });
    registry.addFunction(fn('reports', 'send_report', 'ReportTasks.sendReport'));
    expect(registry.getFunction('reports', 'sendDigest')?.name).toBe('send_digest');
    expect(registry.getFunction('reports', 'send_report')?.source).toBe('ReportTasks.sendReport');
    expect(registry.getFunction('other', 'sendDigest')).toBeUndefined();
    expect(registry.listFunctions('reports').map((f) => f.name)).toEqual(['send_digest', 'archive', 'send_report']);
  });

  it('does not confuse function keys whose parts contain quotes or commas', () => {
    const registry = new TaskRegistry();
    registry.addFunction(fn('a","b', 'c', 'X.m'));
    registry.addFunction(fn('a', 'b","c', 'Y.m'));
    expect(registry.getFunction('a","b', 'c')?.source).toBe('X.m');
    expect(registry.getFunction('a', 'b","c')?.source).toBe('Y.m');
  });
});

describe('TaskRegistry.listTasks', () => {
  const registry = new TaskRegistry();
  registry.addTask(task('billing', 'invoice', ['finance', 'daily']));
  registry.addTask(task('billing', 'remind', ['finance']));
  registry.addTask(task('shipping', 'invoice', ['daily']));
  registry.addTask(task('shipping', 'track', []));
  const names = (tasks: TaskDefinition[]) => tasks.map((t) => `${t.groupName}/${t.name}`);

  it('lists every task in registration order without a filter', () => {
    expect(names(registry.listTasks())).toEqual([
      'billing/invoice',
      'billing/remind',
      'shipping/invoice',
      'shipping/track',
    ]);
    expect(names(registry.listTasks({}))).toHaveLength(4);
  });

  it('filters by group name', () => {
    expect(names(registry.listTasks({ groupName: 'shipping' }))).toEqual(['shipping/invoice', 'shipping/track']);
  });

  it('filters by task name across groups', () => {
    expect(names(registry.listTasks({ name: 'invoice' }))).toEqual(['billing/invoice', 'shipping/invoice']);
  });

  it('filters by tag', () => {
    expect(names(registry.listTasks({ tag: 'daily' }))).toEqual(['billing/invoice', 'shipping/invoice']);
    expect(names(registry.listTasks({ tag: 'finance' }))).toEqual(['billing/invoice', 'billing/remind']);
  });

  it('combines filters (all must match)', () => {
    expect(names(registry.listTasks({ groupName: 'billing', tag: 'daily' }))).toEqual(['billing/invoice']);
    expect(names(registry.listTasks({ groupName: 'shipping', name: 'invoice' }))).toEqual(['shipping/invoice']);
    expect(
      names(
        registry.listTasks({
          groupName: 'shipping',
          name: 'invoice',
          tag: 'finance',
        }),
      ),
    ).toEqual([]);
    expect(names(registry.listTasks({ name: 'remind', tag: 'finance' }))).toEqual(['billing/remind']);
  });

  it('returns nothing for unknown values', () => {
    expect(registry.listTasks({ groupName: 'nope' })).toEqual([]);
    expect(registry.listTasks({ tag: 'nope' })).toEqual([]);
  });

  it('lists one page of the matching tasks: from offset, at most limit', () => {
    expect(names(registry.listTasks({}, { offset: 1, limit: 2 }))).toEqual(['billing/remind', 'shipping/invoice']);
    expect(names(registry.listTasks({}, { offset: 3 }))).toEqual(['shipping/track']);
    expect(names(registry.listTasks({}, { limit: 1 }))).toEqual(['billing/invoice']);
    expect(names(registry.listTasks({ tag: 'daily' }, { offset: 1, limit: 5 }))).toEqual(['shipping/invoice']);
    expect(names(registry.listTasks({ groupName: 'billing' }, { offset: 0, limit: 1 }))).toEqual(['billing/invoice']);
    expect(registry.listTasks({}, { offset: 4 })).toEqual([]);
    expect(registry.listTasks({}, { offset: 1, limit: 0 })).toEqual([]);
  });

  it('pages exactly as slice(offset, offset + limit) of the whole list, whatever the bounds', () => {
    // What getTasks did before pages were found in the registry: list everything, then slice.
    const sliced = (filter: TaskFilter, page: TaskPage) => {
      const all = registry.listTasks(filter);
      const offset = page.offset ?? 0;
      return offset > 0 || page.limit !== undefined ? all.slice(offset, offset + (page.limit ?? all.length)) : all;
    };
    const bounds = [undefined, 0, 1, 2, 3, 4, 7, -1, -3, 1.5, Number.NaN, Infinity];
    for (const filter of [{}, { tag: 'daily' }, { groupName: 'shipping' }, { name: 'invoice', tag: 'finance' }])
      for (const offset of bounds)
        for (const limit of bounds)
          expect(registry.listTasks(filter, { offset, limit }), JSON.stringify({ filter, offset, limit })).toEqual(
            sliced(filter, { offset, limit }),
          );
  });

  it('lists the tasks added and removed since the last listing', () => {
    const changing = new TaskRegistry();
    changing.addTask(task('g', 'a'));
    changing.addTask(task('g', 'b'));
    expect(names(changing.listTasks({}, { offset: 1 }))).toEqual(['g/b']);
    changing.addTask(task('g', 'c'));
    expect(names(changing.listTasks({}, { offset: 1 }))).toEqual(['g/b', 'g/c']);
    changing.removeTask(encodeTaskId('g', 'b'));
    expect(names(changing.listTasks())).toEqual(['g/a', 'g/c']);
    expect(names(changing.listTasks({ groupName: 'g' }, { limit: 5 }))).toEqual(['g/a', 'g/c']);
    // A listing is the caller's own array.
    changing.listTasks().pop();
    expect(changing.listTasks()).toHaveLength(2);
  });
});
