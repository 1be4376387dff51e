import { Controller, Injectable, Scope, type Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { RegisterFunction } from '../src/decorators/register-function.decorator.js';
import { Task } from '../src/decorators/task.decorator.js';
import { TaskGroup } from '../src/decorators/task-group.decorator.js';
import { TaskManagerConfigurationError } from '../src/errors/task-manager-configuration.error.js';
import { encodeTaskId } from '../src/registry/task-id.js';
import { TaskRegistry } from '../src/registry/task-registry.js';
import { TaskManagerModule } from '../src/task-manager.module.js';

// ---------------------------------------------------------------------------------------------------
// Fixtures. Dependencies are declared before the classes that inject them (decorator metadata refers
// to the constructor parameter classes when the decorated class is defined).
// ---------------------------------------------------------------------------------------------------

@Injectable()
class GreetingService {
  greet(name: string): string {
    return `hello ${name}`;
  }
}

/** Injects GreetingService by type only, no @Inject(): needs `design:paramtypes` (emitDecoratorMetadata). */
@Injectable()
@TaskGroup({ name: 'greetings', tags: ['demo'], description: 'Says hello' })
class GreetingTasks {
  constructor(private readonly greeting: GreetingService) {}

  @Task('*/5 * * * *', { tags: ['hourly'] })
  sayHello(): string {
    return this.greeting.greet('cron');
  }

  @Task(['0 9 * * *', '0 18 * * *'], { name: 'twice', register: false })
  twiceADay(): string {
    return this.greeting.greet('twice');
  }

  @RegisterFunction('x')
  dynamicOnly(kwargs: Record<string, unknown>): string {
    return this.greeting.greet(String(kwargs.who));
  }

  @Task('0 0 * * *', { kwargs: [{ who: 'a' }, { who: 'b' }] })
  perKwargs(kwargs: Record<string, unknown>): string {
    return this.greeting.greet(String(kwargs.who));
  }

  @Task('0 12 * * *', { name: 'send_digest' })
  sendDigest(): string {
    return this.greeting.greet('digest');
  }

  notATask(): string {
    return 'plain method';
  }
}

@Injectable()
@TaskGroup({ name: 'shared' })
class FirstSharedGroup {
  @Task('* * * * *')
  one(): void {}
}

@Injectable()
@TaskGroup({ name: 'shared' })
class SecondSharedGroup {
  @Task('* * * * *')
  two(): void {}
}

@Injectable()
@TaskGroup({ name: 'dupes' })
class DuplicateTaskNames {
  @Task('* * * * *', { name: 'same' })
  first(): void {}

  @Task('0 * * * *', { name: 'same' })
  second(): void {}
}

@Injectable()
@TaskGroup({ name: 'generated-clash' })
class GeneratedNameClash {
  @Task(['0 9 * * *', '0 18 * * *'], { name: 'digest' })
  twice(): void {}

  @Task('0 12 * * *', { name: 'digest-2' })
  noon(): void {}
}

@Injectable()
@TaskGroup({ name: 'bad-cron' })
class BadCronTasks {
  @Task('61 * * * *')
  everySixtyFirstMinute(): void {}
}

@Injectable()
class NoGroupTasks {
  @Task('* * * * *')
  orphan(): void {}
}

@Injectable()
class NoGroupFunctions {
  @RegisterFunction()
  orphanFunction(): void {}
}

@Injectable({ scope: Scope.REQUEST })
@TaskGroup({ name: 'per-request' })
class RequestScopedTasks {
  @Task('* * * * *')
  tick(): void {}
}

@Injectable({ scope: Scope.TRANSIENT })
@TaskGroup({ name: 'transient' })
class TransientTasks {
  @Task('* * * * *')
  tick(): void {}
}

@Injectable()
@TaskGroup({ name: 'bad-options' })
class BadOptionTasks {
  @Task('* * * * *', { maxAttempts: 0 })
  flaky(): void {}
}

@Injectable()
@TaskGroup({ name: '' })
class EmptyGroupName {
  @Task('* * * * *')
  tick(): void {}
}

@Controller()
@TaskGroup({ name: 'from-controller' })
class TaskController {
  @Task('*/10 * * * *')
  fromController(): void {}
}

// ---------------------------------------------------------------------------------------------------

const opened: TestingModule[] = [];

afterEach(async () => {
  for (const module of opened.splice(0)) await module.close();
});

/** Compiles a module with the task manager (no Redis needed: autoStart is false) and `providers`. */
async function compile(providers: Type[], controllers: Type[] = []): Promise<TestingModule> {
  const module = await Test.createTestingModule({
    imports: [TaskManagerModule.forRoot({ keyPrefix: 'x', autoStart: false })],
    providers,
    controllers,
  }).compile();
  opened.push(module);
  return module;
}

/** Boots a module with `providers` and returns the configuration error the boot fails with. */
async function bootError(providers: Type[]): Promise<TaskManagerConfigurationError> {
  const module = await compile(providers);
  let error: unknown;
  try {
    await module.init();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(TaskManagerConfigurationError);
  return error as TaskManagerConfigurationError;
}

describe('TaskManagerExplorer: boot fails on invalid declarations', () => {
  it('duplicate group names in two classes: names both classes', async () => {
    const error = await bootError([FirstSharedGroup, SecondSharedGroup]);
    expect(error.message).toMatch(/Duplicate task group name "shared"/);
    expect(error.message).toMatch(/FirstSharedGroup/);
    expect(error.message).toMatch(/SecondSharedGroup/);
  });

  it('duplicate task names in a group: names the group, the task and Class.method', async () => {
    const error = await bootError([DuplicateTaskNames]);
    expect(error.message).toMatch(
      /Duplicate task "same" in group "dupes": declared by DuplicateTaskNames\.first and by DuplicateTaskNames\.second\./,
    );
  });

  it('a generated name colliding with a declared one: refused at boot, saying how names are generated', async () => {
    const error = await bootError([GeneratedNameClash]);
    expect(error.message).toMatch(
      /Duplicate task "digest-2" in group "generated-clash": declared by GeneratedNameClash\.twice and by GeneratedNameClash\.noon\./,
    );
    expect(error.message).toMatch(/several tasks, they are named "<name>-1", "<name>-2"/);
  });

  it('an invalid cron expression: names Class.method and the expression', async () => {
    const error = await bootError([BadCronTasks]);
    expect(error.message).toMatch(
      /^Invalid @Task on BadCronTasks\.everySixtyFirstMinute: invalid cron expression "61 \* \* \* \*"/,
    );
  });

  it('an invalid task option: names Class.method and the option', async () => {
    const error = await bootError([BadOptionTasks]);
    expect(error.message).toMatch(/Invalid @Task on BadOptionTasks\.flaky: `maxAttempts` must be an integer >= 1/);
  });

  it('a @Task in a class without @TaskGroup: names Class.method', async () => {
    const error = await bootError([NoGroupTasks]);
    expect(error.message).toMatch(/on NoGroupTasks\.orphan, but its class has no @TaskGroup\(\)/);
  });

  it('a @RegisterFunction in a class without @TaskGroup: names Class.method', async () => {
    const error = await bootError([NoGroupFunctions]);
    expect(error.message).toMatch(/on NoGroupFunctions\.orphanFunction, but its class has no @TaskGroup\(\)/);
  });

  it('a request-scoped task group: names the class', async () => {
    const error = await bootError([RequestScopedTasks]);
    expect(error.message).toMatch(/Task group RequestScopedTasks is request- or transient-scoped/);
  });

  it('a transient task group: names the class', async () => {
    const error = await bootError([TransientTasks]);
    expect(error.message).toMatch(/Task group TransientTasks is request- or transient-scoped/);
  });

  it('an empty group name: names the class', async () => {
    const error = await bootError([EmptyGroupName]);
    expect(error.message).toMatch(/Invalid @TaskGroup on EmptyGroupName: `name` must not be empty/);
  });
});

describe('TaskManagerExplorer: valid declarations', () => {
  // This is the DI test that fails without decorator metadata: GreetingTasks receives GreetingService
  // through its constructor WITHOUT @Inject(), which only works when the test transform emits
  // `design:paramtypes` (emitDecoratorMetadata). Without it Nest cannot resolve the dependency (or
  // injects undefined) and the handler call below throws.
  it('instantiates a task group with constructor injection by type, and its handlers use the dependency', async () => {
    const module = await compile([GreetingService, GreetingTasks]);
    await module.init();
    expect(module.get(GreetingTasks)).toBeInstanceOf(GreetingTasks);
    const registry = module.get(TaskRegistry);
    const task = registry.getTask(encodeTaskId('greetings', 'sayHello'));
    expect(task).toBeDefined();
    expect(await task!.handler({}, undefined as never)).toBe('hello cron');
  });

  it('fills the registry with the expected groups, tasks and functions', async () => {
    const module = await compile([GreetingService, GreetingTasks]);
    await module.init();
    const registry = module.get(TaskRegistry);

    expect(registry.listGroups()).toEqual([
      {
        name: 'greetings',
        description: 'Says hello',
        tags: ['demo'],
        allowParallel: undefined,
        className: 'GreetingTasks',
      },
    ]);

    const tasks = registry.listTasks({ groupName: 'greetings' });
    expect(tasks.map((t) => [t.name, t.expression, t.source])).toEqual([
      ['sayHello', '*/5 * * * *', 'GreetingTasks.sayHello'],
      ['twice-1', '0 9 * * *', 'GreetingTasks.twiceADay'],
      ['twice-2', '0 18 * * *', 'GreetingTasks.twiceADay'],
      ['perKwargs-1', '0 0 * * *', 'GreetingTasks.perKwargs'],
      ['perKwargs-2', '0 0 * * *', 'GreetingTasks.perKwargs'],
      ['send_digest', '0 12 * * *', 'GreetingTasks.sendDigest'],
    ]);
    expect(registry.size).toBe(6);
    expect(registry.getTask(encodeTaskId('greetings', 'sayHello'))?.tags).toEqual(['demo', 'hourly']);
    expect(tasks.filter((t) => t.name.startsWith('perKwargs')).map((t) => t.kwargs)).toEqual([
      { who: 'a' },
      { who: 'b' },
    ]);
    expect(
      await registry.getTask(encodeTaskId('greetings', 'perKwargs-2'))!.handler({ who: 'b' }, undefined as never),
    ).toBe('hello b');

    // @Task (register defaults to true) registers the method under the task's name, as FastAPI Task Manager
    // does, its method name (the name it used to be registered under) staying an alias, looked up but never
    // listed; register: false does not register; @RegisterFunction('x') registers under its given name only;
    // plain methods are ignored.
    const functions = registry.listFunctions('greetings').map((f) => [f.name, f.source]);
    expect(functions).toEqual([
      ['sayHello', 'GreetingTasks.sayHello'],
      ['x', 'GreetingTasks.dynamicOnly'],
      ['perKwargs', 'GreetingTasks.perKwargs'],
      ['send_digest', 'GreetingTasks.sendDigest'],
    ]);
    expect(registry.getFunction('greetings', 'sendDigest')?.name).toBe('send_digest');
    expect(registry.getFunction('greetings', 'dynamicOnly')).toBeUndefined();
    expect(registry.getFunction('greetings', 'twiceADay')).toBeUndefined();
    expect(registry.getFunction('greetings', 'twice')).toBeUndefined();
    expect(registry.getFunction('greetings', 'notATask')).toBeUndefined();
    expect(await registry.getFunction('greetings', 'x')!.handler({ who: 'fn' }, undefined as never)).toBe('hello fn');
  });

  it('discovers task groups declared on controllers too', async () => {
    const module = await compile([], [TaskController]);
    await module.init();
    expect(
      module
        .get(TaskRegistry)
        .listTasks()
        .map((t) => t.source),
    ).toEqual(['TaskController.fromController']);
  });

  it('registers nothing for providers without task metadata', async () => {
    const module = await compile([GreetingService]);
    await module.init();
    const registry = module.get(TaskRegistry);
    expect(registry.size).toBe(0);
    expect(registry.listGroups()).toEqual([]);
    expect(registry.listFunctions()).toEqual([]);
  });
});
