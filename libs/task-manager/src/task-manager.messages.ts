/** User-facing messages of the library, as small factories. */
export const messages = {
  /** A bulk action (service or HTTP) whose filter matches no task. */
  noTaskMatches: (filter: { groupName?: string; name?: string; tag?: string }) => {
    const parts = Object.entries({ task_group_name: filter.groupName, name: filter.name, tag: filter.tag })
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${JSON.stringify(value)}`);
    return parts.length ? `No task matches ${parts.join(', ')}` : 'No task is registered';
  },
  duplicateGroup: (name: string, first: string, second: string) =>
    `Duplicate task group name "${name}": declared by ${first} and by ${second}. Group names must be unique.`,
  duplicateTask: (group: string, task: string, first: string, second: string) =>
    `Duplicate task "${task}" in group "${group}": declared by ${first} and by ${second}. Task names must be unique in their group (when one @Task makes several tasks, they are named "<name>-1", "<name>-2"...): give one of them another \`name\`.`,
  duplicateFunction: (group: string, fn: string, first: string, second: string) =>
    `Duplicate registered function "${fn}" in group "${group}": declared by ${first} and by ${second}. A @Task registers its method under the task's name (unless \`register: false\`), @RegisterFunction under its given name (else the method name): make them differ.`,
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
  foreignConsumerGroups: (keyPrefix: string, group: string, foreign: string[], streams: string[]) =>
    `Key prefix "${keyPrefix}" is also used with workerServiceName ${foreign.map((f) => `"${f}"`).join(', ')} ` +
    `(its consumer group on the run streams), while this instance uses "${group}": each group gets every run, ` +
    `so every slot would run once per group. Give all instances of one deployment the same workerServiceName, ` +
    `or give the other deployment its own keyPrefix. A group left by a former workerServiceName is removed with ` +
    foreign.flatMap((f) => streams.map((s) => `XGROUP DESTROY ${s} ${f}`)).join('; ') +
    '.',
  redisDown: (target: string, error: string) =>
    `Redis unreachable at ${target} (${error}); reconnecting with backoff (health reports unhealthy meanwhile).`,
  redisUp: () => 'Redis connection ready.',
  publishFenced: (token: string, items: number) =>
    `Publish refused: the fencing token ${token} is stale (another term began or the lease expired); ${items} due item(s) left to the current leader.`,
  redisUnreachableAtBoot: (reason: string, autoStart: boolean) =>
    `${reason}. The application starts without it: reconnecting with backoff (health reports unhealthy meanwhile)` +
    `${autoStart ? ', and the task manager starts as soon as Redis answers' : ''}. ` +
    'Set the `waitForRedisMs` option to make boot fail instead.',
  redisAnsweredAfterBoot: (autoStart: boolean) => `Redis answered${autoStart ? ': starting the task manager' : ''}.`,
  redisUnreachable: (target: string, reason: string) => `Redis unreachable at ${target}: ${reason}`,
  redisNotReachedWithin: (target: string, waitMs: number, reason: string) =>
    `TaskManagerModule could not reach Redis at ${target} within ${waitMs} ms (waitForRedisMs): ${reason}`,
  engineStartFailed: (reason: string) => `The task manager could not start: ${reason}`,
};
