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

/** One page of a listing: the matching tasks from `offset` (default 0), at most `limit` (default all). */
export interface TaskPage {
  offset?: number;
  limit?: number;
}

/** In-memory model of this instance's groups, tasks and registered functions. */
@Injectable()
export class TaskRegistry {
  private readonly groups = new Map<string, TaskGroupDefinition>();
  private readonly tasks = new Map<string, TaskDefinition>();
  private readonly functions = new Map<string, RegisteredFunction>();
  private readonly aliases = new Map<string, RegisteredFunction>();
  /** The tasks in registration order, built on the first listing after a change (a page is then a slice). */
  private ordered: TaskDefinition[] | undefined;

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
    this.ordered = undefined;
  }

  removeTask(id: string): TaskDefinition | undefined {
    const task = this.tasks.get(id);
    if (this.tasks.delete(id)) this.ordered = undefined;
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

  /**
   * Tasks matching every given filter, in registration order; with `page`, only that page of them (as
   * `slice(offset, offset + limit)` of the whole list). A page is found without listing the tasks after it.
   */
  listTasks(filter: TaskFilter = {}, page: TaskPage = {}): TaskDefinition[] {
    const offset = page.offset ?? 0;
    const { limit } = page;
    if (isIndex(offset) && (limit === undefined || isIndex(limit)))
      return this.matching(filter, offset, limit === undefined ? Infinity : offset + limit);
    // Other bounds (negative, fractional): slice's own rules, on the whole list.
    const all = this.matching(filter, 0, Infinity);
    return offset > 0 || limit !== undefined ? all.slice(offset, offset + (limit ?? all.length)) : all;
  }

  /** The matching tasks from the `from`-th to before the `to`-th match (0-based). */
  private matching(filter: TaskFilter, from: number, to: number): TaskDefinition[] {
    const all = (this.ordered ??= [...this.tasks.values()]);
    const { groupName, name, tag } = filter;
    if (groupName === undefined && name === undefined && tag === undefined) return all.slice(from, to);
    const result: TaskDefinition[] = [];
    let matched = 0;
    for (const task of all) {
      if (matched >= to) break;
      if (groupName !== undefined && task.groupName !== groupName) continue;
      if (name !== undefined && task.name !== name) continue;
      if (tag !== undefined && !task.tags.includes(tag)) continue;
      if (matched++ >= from) result.push(task);
    }
    return result;
  }

  get size(): number {
    return this.tasks.size;
  }
}

/** A whole number ≥ 0. */
function isIndex(value: number): boolean {
  return Number.isInteger(value) && value >= 0;
}
