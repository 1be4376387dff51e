import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis-client.js';
import type {
  DynamicTaskPort,
  DynamicTaskSet,
  DynamicTaskCreateResult,
  DynamicTaskUpdateResult,
  ScheduleEntry,
} from '../engine/coordination.port.js';
import type { RedisScripts } from './redis-scripts.js';
import type { PartitionKeys } from './task-manager-keys.js';

/**
 * Dynamic task definitions in one HASH, with a generation token replaced on every change; creation and
 * deletion are single scripts that also notify every instance. Each call is one request (a fresh request
 * id): a script re-sent by ioredis after a lost reply answers what its first run did, instead of "exists" /
 * "not found".
 */
export class RedisDynamicTasks implements DynamicTaskPort {
  constructor(
    private readonly client: RedisClient,
    private readonly scripts: RedisScripts,
    /** The keys of the tasks' partition (a deployment of one partition: its own). */
    private readonly keys: PartitionKeys,
    /** The change-notice channel. */
    private readonly events: string,
    private readonly notice: () => string,
  ) {}

  async loadAll(): Promise<DynamicTaskSet> {
    // One transaction: the generation read is that of the definitions read.
    const [[e1, generation], [e2, all]] = (await this.client
      .multi()
      .get(this.keys.dynamicGeneration)
      .hgetall(this.keys.dynamic)
      .exec())! as [[Error | null, string | null], [Error | null, Record<string, string>]];
    if (e1 || e2) throw e1 ?? e2;
    return {
      generation: generation ?? '',
      tasks: Object.entries(all).map(([taskId, definition]) => ({ taskId, definition })),
    };
  }

  async generation(): Promise<string> {
    return (await this.client.get(this.keys.dynamicGeneration)) ?? '';
  }

  async create(taskId: string, definition: string, entry: ScheduleEntry): Promise<DynamicTaskCreateResult> {
    const result = await this.scripts.run<number>(
      'createDynamicTask',
      [this.keys.dynamic, this.keys.schedule, this.keys.signatures],
      [
        taskId,
        definition,
        entry.signature,
        entry.firstSlot,
        this.events,
        this.notice(),
        this.keys.dynamicGeneration,
        randomUUID(),
        this.keys.request(randomUUID()),
      ],
    );
    return result === 1 ? 'created' : result === 0 ? 'exists' : 'late';
  }

  async remove(taskId: string): Promise<string | null> {
    return this.scripts.run<string | null>(
      'deleteTask',
      [this.keys.schedule, this.keys.signatures, this.keys.taskState(taskId), this.keys.history(taskId)],
      [
        taskId,
        this.keys.dynamic,
        this.events,
        this.notice(),
        this.keys.dynamicGeneration,
        randomUUID(),
        this.keys.request(randomUUID()),
      ],
    );
  }

  read(taskId: string): Promise<string | null> {
    return this.client.hget(this.keys.dynamic, taskId);
  }

  async update(
    taskId: string,
    expectedVersion: string,
    definition: string,
    entry: ScheduleEntry,
    enabled?: boolean,
  ): Promise<DynamicTaskUpdateResult> {
    const result = await this.scripts.run<number>(
      'updateDynamicTask',
      [this.keys.dynamic, this.keys.schedule, this.keys.signatures, this.keys.taskState(taskId)],
      [
        taskId,
        expectedVersion,
        definition,
        entry.signature,
        entry.firstSlot,
        enabled === undefined ? '' : enabled ? '1' : '0',
        this.events,
        this.notice(),
        this.keys.dynamicGeneration,
        randomUUID(),
        this.keys.request(randomUUID()),
      ],
    );
    return result === 1 ? 'updated' : result === 0 ? 'missing' : result === -1 ? 'changed' : 'late';
  }
}
