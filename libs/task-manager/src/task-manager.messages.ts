/** User-facing messages of the library, as small factories. */
export const messages = {
  duplicateGroup: (name: string, first: string, second: string) =>
    `Duplicate task group name "${name}": declared by ${first} and by ${second}. Group names must be unique.`,
  duplicateTask: (group: string, task: string, source: string) =>
    `Duplicate task "${task}" in group "${group}" (declared by ${source}). Give each task a unique \`name\`.`,
  duplicateFunction: (group: string, fn: string, source: string) =>
    `Duplicate registered function "${fn}" in group "${group}" (declared by ${source}).`,
  invalidCron: (source: string, problem: string) => `Invalid @Task on ${source}: ${problem}.`,
  invalidTaskOption: (source: string, problem: string) => `Invalid @Task on ${source}: ${problem}.`,
  taskOutsideGroup: (source: string) =>
    `@Task/@RegisterFunction on ${source}, but its class has no @TaskGroup(). Add @TaskGroup({ name: '...' }) to the class.`,
  requestScopedGroup: (className: string) =>
    `Task group ${className} is request- or transient-scoped; task groups must be singletons (default scope) because tasks run outside any request.`,
  invalidGroup: (className: string, problem: string) => `Invalid @TaskGroup on ${className}: ${problem}.`,
  invalidOptions: (problems: string[]) => `Invalid TaskManagerModule options:\n  - ${problems.join('\n  - ')}`,
  missingKeyPrefix: () =>
    'TaskManagerModule needs a `keyPrefix` (or an `appName`, or a package.json with a name in the working directory) so that deployments never share Redis keys by accident.',
  redisTooOld: (version: string, min: string) =>
    `Redis ${version} is too old: nestjs-task-manager needs Redis >= ${min} (XAUTOCLAIM).`,
  redisDown: (error: string) => `Redis unreachable (${error}); retrying in the background.`,
  redisUp: () => 'Redis connection ready.',
};
