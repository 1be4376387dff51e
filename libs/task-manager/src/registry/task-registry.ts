import { Injectable } from '@nestjs/common';
import { TaskManagerConfigurationError } from '../errors/task-manager-configuration.error.js';
import { messages } from '../task-manager.messages.js';
import type { RegisteredFunction, TaskDefinition, TaskGroupDefinition } from './task-definition.js';

/** Filters of bulk operations, as the management API names them. */
export interface TaskFilter {
  groupName?: string;
  name?: string;
  tag?: string;
}

/** In-memory model of this instance's groups, tasks and registered functions. */
@Injectable()
export class TaskRegistry {
  private readonly groups = new Map<string, TaskGroupDefinition>();
  private readonly tasks = new Map<string, TaskDefinition>();
  private readonly functions = new Map<string, RegisteredFunction>();
  private readonly aliases = new Map<string, RegisteredFunction>();

  addGroup(group: TaskGroupDefinition): void {
    const existing = this.groups.get(group.name);
    if (existing) {
      throw new TaskManagerConfigurationError(messages.duplicateGroup(group.name, existing.className, group.className));
    }
    this.groups.set(group.name, group);
  }

  addTask(task: TaskDefinition): void {
    const existing = this.tasks.get(task.id);
    if (existing) {
      throw new TaskManagerConfigurationError(
        messages.duplicateTask(task.groupName, task.name, existing.source, task.source),
      );
    }
    this.tasks.set(task.id, task);
  }

  removeTask(id: string): TaskDefinition | undefined {
    const task = this.tasks.get(id);
    this.tasks.delete(id);
    return task;
  }

  /** Registers a function under its name, and under its alias unless another function took that alias first. */
  addFunction(fn: RegisteredFunction): void {
    const key = JSON.stringify([fn.groupName, fn.name]);
    const existing = this.functions.get(key);
    if (existing) {
      throw new TaskManagerConfigurationError(
        messages.duplicateFunction(fn.groupName, fn.name, existing.source, fn.source),
      );
    }
    this.functions.set(key, fn);
    if (fn.alias !== undefined && fn.alias !== fn.name) {
      const aliasKey = JSON.stringify([fn.groupName, fn.alias]);
      if (!this.aliases.has(aliasKey)) this.aliases.set(aliasKey, fn);
    }
  }

  getGroup(name: string): TaskGroupDefinition | undefined {
    return this.groups.get(name);
  }

  getTask(id: string): TaskDefinition | undefined {
    return this.tasks.get(id);
  }

  /** The function registered under `name` in the group, else the one whose alias (method name) it is. */
  getFunction(groupName: string, name: string): RegisteredFunction | undefined {
    const key = JSON.stringify([groupName, name]);
    return this.functions.get(key) ?? this.aliases.get(key);
  }

  listGroups(): TaskGroupDefinition[] {
    return [...this.groups.values()];
  }

  listFunctions(groupName?: string): RegisteredFunction[] {
    const all = [...this.functions.values()];
    return groupName === undefined ? all : all.filter((fn) => fn.groupName === groupName);
  }

  /** Tasks matching every given filter, in registration order. */
  listTasks(filter: TaskFilter = {}): TaskDefinition[] {
    const result: TaskDefinition[] = [];
    for (const task of this.tasks.values()) {
      if (filter.groupName !== undefined && task.groupName !== filter.groupName) continue;
      if (filter.name !== undefined && task.name !== filter.name) continue;
      if (filter.tag !== undefined && !task.tags.includes(filter.tag)) continue;
      result.push(task);
    }
    return result;
  }

  get size(): number {
    return this.tasks.size;
  }
}
