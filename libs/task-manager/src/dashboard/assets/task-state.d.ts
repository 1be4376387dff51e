/** Types of task-state.js, for the tests only. */
interface TaskLike {
  name: string;
  task_group_name: string;
  tags: string[];
  is_running: boolean;
  last_status: string | null;
  retry_after: string | null;
  is_active: boolean;
}
export declare const STATES: ReadonlyArray<[string, string]>;
export declare function inState(task: TaskLike, state: string, now?: number): boolean;
export declare function countStates(tasks: TaskLike[], now?: number): Record<string, number>;
export declare function matchesSearch(
  task: Pick<TaskLike, 'name' | 'task_group_name' | 'tags'>,
  search: string,
): boolean;
