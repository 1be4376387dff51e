import { SetMetadata } from '@nestjs/common';
import { TASK_GROUP_METADATA } from '../task-manager.constants.js';

/** Options of `@TaskGroup()`. */
export interface TaskGroupOptions {
  /** Unique, human-readable name of the group (part of every task's identity). */
  name: string;
  /** Description shown by the management API. */
  description?: string;
  /** Tags inherited by every task of the group. */
  tags?: string[];
  /** Whether tasks of this group may overlap themselves (task option wins, then this, then the module). */
  allowParallel?: boolean;
}

/**
 * Marks an injectable provider as a group of scheduled tasks. Its `@Task()` and `@RegisterFunction()`
 * methods are discovered at startup; the class gets normal dependency injection.
 */
export function TaskGroup(options: TaskGroupOptions): ClassDecorator {
  return SetMetadata(TASK_GROUP_METADATA, options);
}
