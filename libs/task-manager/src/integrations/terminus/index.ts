/**
 * `nestjs-task-manager/terminus`: a @nestjs/terminus health indicator for the task manager.
 * Needs the optional peer dependency `@nestjs/terminus` (never loaded by the main entry point).
 */
export { TaskManagerHealthIndicator, type TaskManagerHealthDetails } from './task-manager.health-indicator.js';
export type { TaskManagerHealthCheckOptions } from './task-manager-health-check.options.js';
export {
  defaultOverdueToleranceMs,
  failoverBoundMs,
  findOverdueTasks,
  type OverdueTask,
} from '../shared/overdue-tasks.js';
