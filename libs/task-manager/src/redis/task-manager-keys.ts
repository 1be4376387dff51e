import { partitionOf } from '../wire/partition-of.js';
import { partitionTags } from './partition-tags.js';

/**
 * The keys of one partition of a deployment: everything a task owns (its schedule, one-off runs, streams,
 * state, history, dynamic definition, task-set membership) and the partition's leader lease. They all start
 * with the partition's hash tag, so they live in one Redis Cluster slot and every Lua script on them is
 * cluster-safe. Task ids are encoded by `encodeTaskId` (never contain `:`), so per-task keys cannot collide.
 */
export class PartitionKeys {
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
  /**
   * STRING written by the first publish into an empty deployment: the data generation every run carries, so
   * that a run whose message is gone tells a wipe (FLUSHALL, Redis restarted empty) from a takeover.
   */
  readonly generation: string;
  /** HASH taskId -> dynamic task definition (JSON). */
  readonly dynamic: string;
  /** STRING: a fresh token written on every change of `dynamic` (instances compare it to know they are current). */
  readonly dynamicGeneration: string;
  /** HASH workerId -> digest of the static task set it declares. */
  readonly workerTaskSets: string;
  /** HASH digest -> last time (ms) a live worker declared that task set. */
  readonly taskSets: string;
  /** Prefix of the SET keys of the declared task sets (`taskSet(digest)`), for Lua scripts. */
  readonly taskSetPrefix: string;
  /** ZSET taskId -> when (ms) the leader first found it scheduled but declared by no live worker. */
  readonly orphans: string;
  /** Prefix of the per-task state HASH keys (`taskState(id)`), for Lua scripts. */
  readonly taskStatePrefix: string;
  /** Prefix of the per-task history STREAM keys (`history(id)`), for Lua scripts. */
  readonly historyPrefix: string;

  /** @param tag the partition's hash tag (`{prefix}` for a deployment of one partition): every key's start. */
  constructor(readonly tag: string) {
    this.schedule = `${this.tag}:schedule`;
    this.signatures = `${this.tag}:signatures`;
    this.oneOff = `${this.tag}:oneoff`;
    this.streamHigh = `${this.tag}:stream:high`;
    this.streamNormal = `${this.tag}:stream:normal`;
    this.leader = `${this.tag}:leader`;
    this.epoch = `${this.tag}:epoch`;
    this.generation = `${this.tag}:generation`;
    this.dynamic = `${this.tag}:dynamic`;
    this.dynamicGeneration = `${this.tag}:dynamic-generation`;
    this.workerTaskSets = `${this.tag}:worker-task-sets`;
    this.taskSets = `${this.tag}:task-sets`;
    this.taskSetPrefix = `${this.tag}:task-set:`;
    this.orphans = `${this.tag}:orphans`;
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

  /** SET of the static task ids of one declared task set. */
  taskSet(digest: string): string {
    return this.taskSetPrefix + digest;
  }

  /**
   * STRING (expires after a minute): the result of one create / delete request, so that a script ioredis
   * re-sends after a lost reply answers what its first run did.
   */
  request(requestId: string): string {
    return `${this.tag}:request:${requestId}`;
  }

  /**
   * The partition's own keys, those not of one task, request or declared task set: what a repartition deletes
   * of a partition the new layout does not have, once its tasks and runs are moved (`nestjs-task-manager/ops`).
   */
  get partitionWideKeys(): string[] {
    return [
      this.schedule,
      this.signatures,
      this.oneOff,
      this.streamHigh,
      this.streamNormal,
      this.leader,
      this.epoch,
      this.generation,
      this.dynamic,
      this.dynamicGeneration,
      this.workerTaskSets,
      this.taskSets,
      this.orphans,
    ];
  }

  /** The stream a run of the given priority goes to. */
  stream(highPriority: boolean): string {
    return highPriority ? this.streamHigh : this.streamNormal;
  }

  /** Pattern matching every key of this tag (for test cleanup and tooling, never on hot paths). */
  get allKeysPattern(): string {
    return `${this.tag.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}:*`;
  }
}

/**
 * Every Redis key of one deployment, built in this one place (with `PartitionKeys`). The deployment-wide
 * keys (`workers`, `workerInfo`, the `events` channel) start with the hash tag `{<prefix>}`; everything else
 * belongs to a partition (`partition(i)`, a task's: `partition(partitionOf(taskId))`).
 *
 * With one partition (the default, the layout of earlier versions) the deployment is its own partition 0:
 * every key starts with `{<prefix>}`, lives in one Redis Cluster slot, and is reachable directly on this object
 * as before. With more (the `partitions` option), each partition has its own tag (`redis/partition-tags.ts`),
 * and the per-partition fields inherited here keep their `{<prefix>}` names, which are those of the
 * one-partition layout (the driver uses one of them: `layoutMarkerStream`).
 */
export class TaskManagerKeys extends PartitionKeys {
  /** Pub/sub channel of cluster-wide change notices. */
  readonly events: string;
  /** ZSET workerId -> last seen (ms). */
  readonly workers: string;
  /** HASH workerId -> worker description (JSON). */
  readonly workerInfo: string;
  /**
   * STRING `<token>` with a TTL: held by a repartition (`nestjs-task-manager/ops`) while it runs, renewed, so
   * that two never run at once on one key prefix.
   */
  readonly repartitionLock: string;
  private readonly partitionKeys: readonly PartitionKeys[];

  /** @param partitions the partition count, an integer in 1..256. */
  constructor(
    readonly prefix: string,
    readonly partitions = 1,
  ) {
    super(`{${prefix}}`);
    this.events = `${this.tag}:events`;
    this.workers = `${this.tag}:workers`;
    this.workerInfo = `${this.tag}:worker-info`;
    this.repartitionLock = `${this.tag}:repartition-lock`;
    this.partitionKeys =
      partitions === 1 ? [this] : partitionTags(prefix, partitions).map((tag) => new PartitionKeys(tag));
  }

  /**
   * STREAM holding the layout marker of a deployment of several partitions (`wire/layout-marker.ts`): the
   * one-partition layout's normal run stream, on which a deployment of one partition has its consumer group.
   */
  get layoutMarkerStream(): string {
    return this.streamNormal;
  }

  /** The keys of partition `index` (0 .. partitions - 1); with one partition, this object. */
  partition(index: number): PartitionKeys {
    const keys = this.partitionKeys[index];
    if (keys === undefined) throw new RangeError(`No partition ${index} in a deployment of ${this.partitions}`);
    return keys;
  }

  /** The partition a task (by encoded id) belongs to (`wire/partition-of.ts`). */
  partitionOf(taskId: string): number {
    return partitionOf(taskId, this.partitions);
  }

  /** Patterns matching every key of this deployment: its own tag's, then each other partition's. */
  get allKeysPatterns(): string[] {
    const patterns = [this.allKeysPattern];
    for (const keys of this.partitionKeys) if (keys !== this) patterns.push(keys.allKeysPattern);
    return patterns;
  }
}
