/**
 * Every Redis key of one deployment, built in this one place. All keys start with the hash tag
 * `{<prefix>}` so that they live in one Redis Cluster slot and every Lua script is cluster-safe.
 * Task ids are encoded by `encodeTaskId` (never contain `:`), so per-task keys cannot collide.
 */
export class TaskManagerKeys {
  /** `{prefix}` — the hash tag shared by every key. */
  readonly tag: string;
  /** ZSET taskId -> next slot (ms). */
  readonly schedule: string;
  /** HASH taskId -> signature (expression + time zone) of the schedule stored for it. */
  readonly signatures: string;
  /** ZSET of one-off runs (triggers, retries) -> due time (ms). */
  readonly oneOff: string;
  /** STREAM of runs to execute, consumed before `streamNormal`. */
  readonly streamHigh: string;
  /** STREAM of normal-priority runs. */
  readonly streamNormal: string;
  /** STRING `<workerId>|<epoch>` with a TTL: the leader lease. */
  readonly leader: string;
  /** Counter incremented on each leader acquisition: the fencing token. */
  readonly epoch: string;
  /** HASH taskId -> dynamic task definition (JSON). */
  readonly dynamic: string;
  /** Pub/sub channel of cluster-wide change notices. */
  readonly events: string;
  /** ZSET workerId -> last seen (ms). */
  readonly workers: string;
  /** HASH workerId -> worker description (JSON). */
  readonly workerInfo: string;
  /** Prefix of the per-task state HASH keys (`taskState(id)`), for Lua scripts. */
  readonly taskStatePrefix: string;
  /** Prefix of the per-task history STREAM keys (`history(id)`), for Lua scripts. */
  readonly historyPrefix: string;

  constructor(readonly prefix: string) {
    this.tag = `{${prefix}}`;
    this.schedule = `${this.tag}:schedule`;
    this.signatures = `${this.tag}:signatures`;
    this.oneOff = `${this.tag}:oneoff`;
    this.streamHigh = `${this.tag}:stream:high`;
    this.streamNormal = `${this.tag}:stream:normal`;
    this.leader = `${this.tag}:leader`;
    this.epoch = `${this.tag}:epoch`;
    this.dynamic = `${this.tag}:dynamic`;
    this.events = `${this.tag}:events`;
    this.workers = `${this.tag}:workers`;
    this.workerInfo = `${this.tag}:worker-info`;
    this.taskStatePrefix = `${this.tag}:task:`;
    this.historyPrefix = `${this.tag}:runs:`;
  }

  /** HASH of a task's state: disabled, retry_after, retry_delay, failures, inflight, running_by, running_until, last_*. */
  taskState(taskId: string): string {
    return this.taskStatePrefix + taskId;
  }

  /** STREAM of a task's run history (capped, expiring). */
  history(taskId: string): string {
    return this.historyPrefix + taskId;
  }

  /** The stream a run of the given priority goes to. */
  stream(highPriority: boolean): string {
    return highPriority ? this.streamHigh : this.streamNormal;
  }

  /** Pattern matching every key of this deployment (for test cleanup and tooling, never on hot paths). */
  get allKeysPattern(): string {
    return `${this.tag.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}:*`;
  }
}
