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
  private readonly listeners = new Set<() => void>();

  addGroup(group: TaskGroupDefinition): void {
    const existing = this.groups.get(group.name);
    if (existing) {
      throw new TaskManagerConfigurationError(messages.duplicateGroup(group.name, existing.className, group.className));
    }
    this.groups.set(group.name, group);
  }

  addTask(task: TaskDefinition): void {
    if (this.tasks.has(task.id)) {
      throw new TaskManagerConfigurationError(messages.duplicateTask(task.groupName, task.name, task.source));
    }
    this.tasks.set(task.id, task);
    this.changed();
  }

  removeTask(id: string): TaskDefinition | undefined {
    const task = this.tasks.get(id);
    if (task) {
      this.tasks.delete(id);
      this.changed();
    }
    return task;
  }

  addFunction(fn: RegisteredFunction): void {
    const key = JSON.stringify([fn.groupName, fn.name]);
    if (this.functions.has(key)) {
      throw new TaskManagerConfigurationError(messages.duplicateFunction(fn.groupName, fn.name, fn.source));
    }
    this.functions.set(key, fn);
  }

  getGroup(name: string): TaskGroupDefinition | undefined {
    return this.groups.get(name);
  }

  getTask(id: string): TaskDefinition | undefined {
    return this.tasks.get(id);
  }

  getFunction(groupName: string, name: string): RegisteredFunction | undefined {
    return this.functions.get(JSON.stringify([groupName, name]));
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

  /** Calls `listener` whenever the task set changes; returns an unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
