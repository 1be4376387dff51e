import { isMarker, markedPartitions, markedRepartition, type MarkedRepartition } from './wire/layout-marker.js';

/** The command that moves the deployment of a key prefix to `to` partitions (docs/deployment.md). */
const repartitionCommand = (keyPrefix: string, to: number) =>
  `npx nestjs-task-manager repartition --redis <url> --key-prefix ${keyPrefix} --to ${to}`;

/** The repartition a list of consumer groups marks as in progress, if any. */
const inProgress = (groups: string[]) =>
  groups.map(markedRepartition).find((marked): marked is MarkedRepartition => marked !== undefined);

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
  /**
   * Other consumer groups on the run streams `streams` (partition 0's): other `workerServiceName`s, and, with
   * one partition, the layout markers of deployments of several partitions (`partitions: N`, see
   * `partitionsMismatch`).
   */
  foreignConsumerGroups: (
    keyPrefix: string,
    group: string,
    foreign: string[],
    streams: string[],
    partitions = 1,
  ): string => {
    const repartition = inProgress(foreign);
    if (repartition) return messages.repartitionInProgress(keyPrefix, repartition);
    const markers = foreign.filter((f) => markedPartitions(f) !== undefined);
    const services = foreign.filter((f) => !isMarker(f));
    const parts: string[] = [];
    if (markers.length > 0) parts.push(messages.partitionsMismatch(keyPrefix, 1, markers, streams));
    if (services.length > 0)
      parts.push(
        `Key prefix "${keyPrefix}" is also used with workerServiceName ${services.map((f) => `"${f}"`).join(', ')} ` +
          `(its consumer group on the run streams), while this instance uses "${group}": each group gets every run, ` +
          `so every slot would run once per group. Give all instances of one deployment the same workerServiceName, ` +
          `or give the other deployment its own keyPrefix. A group left by a former workerServiceName is removed with ` +
          services.flatMap((f) => streams.map((s) => `XGROUP DESTROY ${s} ${f}`)).join('; ') +
          (partitions > 1 ? `, and the same on the run streams of the other ${partitions - 1} partitions` : '') +
          '.',
      );
    return parts.join(' ');
  },
  /**
   * A deployment of another partition count uses the key prefix: `found` are the consumer groups on the
   * one-partition layout's normal run stream (layout markers `partitions:N`, or a one-partition deployment's
   * groups); `streams` are the one-partition layout's run streams (high, normal).
   */
  partitionsMismatch: (keyPrefix: string, partitions: number, found: string[], streams: string[]): string => {
    const repartition = inProgress(found);
    if (repartition) return messages.repartitionInProgress(keyPrefix, repartition);
    const theirs = found.map((f) => {
      const count = markedPartitions(f);
      return count === undefined ? `partitions: 1 (consumer group "${f}")` : `partitions: ${count}`;
    });
    const destroy = found.flatMap((f) =>
      (markedPartitions(f) === undefined ? streams : streams.slice(-1)).map((s) => `XGROUP DESTROY ${s} ${f}`),
    );
    return (
      `Key prefix "${keyPrefix}" is already used by a deployment with ${theirs.join(' and ')}, while this instance ` +
      `has partitions: ${partitions}. Deployments with different partition counts keep their tasks under ` +
      `different keys: both would run every slot, and task states, dynamic tasks and history would be split ` +
      `between them. Give every instance of one deployment the same \`partitions\` option, or give the other ` +
      `deployment its own keyPrefix. Changing the partition count of a deployment that has tasks needs a ` +
      `repartition, which moves its schedules, states and queued runs to the new layout: to move it to ` +
      `partitions: ${partitions}, stop every instance, run \`${repartitionCommand(keyPrefix, partitions)}\`, then ` +
      `start every instance with partitions: ${partitions} (docs/deployment.md). If that deployment is gone for good ` +
      `and its data is not needed, ${destroy.join('; ')} lets this instance start (its other keys stay until deleted).`
    );
  },
  /**
   * A repartition of the key prefix's deployment (`nestjs-task-manager/ops`) is in progress or was interrupted:
   * its marker is on the one-partition layout's normal run stream.
   */
  repartitionInProgress: (keyPrefix: string, { from, to }: MarkedRepartition): string =>
    `A repartition of key prefix "${keyPrefix}" from ${from} to ${to} partitions is in progress, or was interrupted: ` +
    `no instance can start until it is finished. If it is not running any more, run it again to finish it ` +
    `(\`${repartitionCommand(keyPrefix, to)}\`: it resumes where it stopped), then start every instance with ` +
    `partitions: ${to} (docs/deployment.md).`,
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
