/**
 * `nestjs-task-manager/testing`: helpers for tests that look at what the task manager stores, e.g. to assert on
 * a task's Redis keys or to clean a key prefix up. Not needed to use the library; the key layout may change
 * between minor versions.
 */
export { TaskManagerKeys } from '../redis/task-manager-keys.js';
export { encodeTaskId, decodeTaskId } from '../registry/task-id.js';
