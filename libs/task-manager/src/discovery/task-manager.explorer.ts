import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import {
  REGISTER_FUNCTION_METADATA,
  TASK_GROUP_METADATA,
  TASK_MANAGER_RESOLVED_OPTIONS,
  TASK_METADATA,
} from '../task-manager.constants.js';
import type { TaskGroupOptions } from '../decorators/task-group.decorator.js';
import type { TaskDeclaration } from '../decorators/task.decorator.js';
import type { RegisterFunctionOptions } from '../decorators/register-function.decorator.js';
import type { TaskHandler } from '../decorators/task-context.interface.js';
import { TaskManagerConfigurationError } from '../errors/task-manager-configuration.error.js';
import type { ResolvedTaskManagerOptions } from '../options/resolved-options.js';
import { TaskRegistry } from '../registry/task-registry.js';
import type { TaskGroupDefinition } from '../registry/task-definition.js';
import { buildTasks } from '../registry/task-factory.js';
import { describeProblems, groupOptionsProblems, nameProblem } from '../task-spec/task-spec.js';
import { messages } from '../task-manager.messages.js';

/**
 * Finds `@TaskGroup` providers and their `@Task` / `@RegisterFunction` methods through Nest's
 * DiscoveryService, and fills the registry. Fails boot loudly, naming the class and method, on any invalid
 * declaration.
 */
type InstanceWrapper = ReturnType<DiscoveryService['getProviders']>[number];

@Injectable()
export class TaskManagerExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly registry: TaskRegistry,
    @Inject(TASK_MANAGER_RESOLVED_OPTIONS)
    private readonly options: ResolvedTaskManagerOptions,
  ) {}

  onModuleInit(): void {
    this.explore();
  }

  explore(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      this.exploreWrapper(wrapper);
    }
  }

  private exploreWrapper(wrapper: InstanceWrapper): void {
    const metatype = wrapper.metatype as (new (...args: unknown[]) => object) | null | undefined;
    if (typeof metatype !== 'function' || wrapper.inject) return; // factory / value providers
    const groupOptions: TaskGroupOptions | undefined = Reflect.getMetadata(TASK_GROUP_METADATA, metatype);
    const prototype = metatype.prototype as Record<string, unknown>;
    const methods = this.scanner.getAllMethodNames(prototype).filter((name) => {
      const method = prototype[name];
      return (
        Reflect.hasMetadata(TASK_METADATA, method as object) ||
        Reflect.hasMetadata(REGISTER_FUNCTION_METADATA, method as object)
      );
    });
    if (!groupOptions) {
      if (methods.length > 0)
        throw new TaskManagerConfigurationError(messages.taskOutsideGroup(`${metatype.name}.${methods[0]}`));
      return;
    }
    if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient) {
      throw new TaskManagerConfigurationError(messages.requestScopedGroup(metatype.name));
    }
    const instance = wrapper.instance as Record<string, (...args: unknown[]) => unknown>;
    const group = this.buildGroup(groupOptions, metatype.name);
    this.registry.addGroup(group);
    for (const methodName of methods) {
      const method = prototype[methodName] as object;
      const handler = (instance[methodName] as TaskHandler).bind(instance) as TaskHandler;
      const declarations: TaskDeclaration[] = Reflect.getMetadata(TASK_METADATA, method) ?? [];
      const fn: RegisterFunctionOptions | undefined = Reflect.getMetadata(REGISTER_FUNCTION_METADATA, method);
      for (const declaration of declarations) {
        for (const task of buildTasks(group, declaration, methodName, handler, this.options))
          this.registry.addTask(task);
      }
      for (const { name, alias } of functionNames(methodName, declarations, fn))
        this.registerFunction(group, name, alias, methodName, handler, fn);
    }
  }

  private buildGroup(options: TaskGroupOptions, className: string): TaskGroupDefinition {
    const problems = groupOptionsProblems(options);
    if (problems.length > 0) {
      const problem = describeProblems(problems, (field) => `\`${field}\``).join('; ');
      throw new TaskManagerConfigurationError(messages.invalidGroup(className, problem));
    }
    return {
      name: options.name,
      description: options.description,
      tags: options.tags ?? [],
      allowParallel: options.allowParallel,
      className,
    };
  }

  private registerFunction(
    group: TaskGroupDefinition,
    name: string,
    alias: string | undefined,
    methodName: string,
    handler: TaskHandler,
    options?: RegisterFunctionOptions,
  ): void {
    const source = `${group.className}.${methodName}`;
    const problem = nameProblem(name);
    if (problem)
      throw new TaskManagerConfigurationError(messages.invalidTaskOption(source, `function name ${problem}`));
    this.registry.addFunction({
      groupName: group.name,
      name,
      alias,
      handler,
      kwargsType: options?.kwargs as (new () => object) | undefined,
      source,
    });
  }
}

/**
 * Names under which a method is registered for dynamic tasks: its `@RegisterFunction` name (else the method
 * name), then the task name of each `@Task` declaration that does not opt out (`register: false`) — the task's
 * name, as FastAPI Task Manager lists it. Without `@RegisterFunction` the method name, under which such a method
 * used to be registered, stays accepted as an alias (never listed).
 */
function functionNames(
  methodName: string,
  declarations: readonly TaskDeclaration[],
  fn: RegisterFunctionOptions | undefined,
): Array<{ name: string; alias?: string }> {
  const names = fn === undefined ? [] : [fn.name ?? methodName];
  for (const declaration of declarations) {
    if (declaration.options?.register !== false) names.push(declaration.options?.name ?? methodName);
  }
  const alias = fn === undefined ? methodName : undefined;
  return [...new Set(names)].map((name) => ({ name, alias: name === alias ? undefined : alias }));
}
