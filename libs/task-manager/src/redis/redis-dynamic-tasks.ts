import type { RedisClient } from './redis-client.js';
import type { DynamicTaskPort, ScheduleEntry } from '../engine/coordination.port.js';
import type { RedisScripts } from './redis-scripts.js';
import type { TaskManagerKeys } from './task-manager-keys.js';

/** Dynamic task definitions in one HASH; creation and deletion are single scripts that also notify every instance. */
export class RedisDynamicTasks implements DynamicTaskPort {
  constructor(
    private readonly client: RedisClient,
    private readonly scripts: RedisScripts,
    private readonly keys: TaskManagerKeys,
    private readonly notice: () => string,
  ) {}

  async loadAll(): Promise<Array<{ taskId: string; definition: string }>> {
    const all = await this.client.hgetall(this.keys.dynamic);
    return Object.entries(all).map(([taskId, definition]) => ({ taskId, definition }));
  }

  async create(taskId: string, definition: string, entry: ScheduleEntry): Promise<boolean> {
    const created = await this.scripts.run<number>(
      'createDynamicTask',
      [this.keys.dynamic, this.keys.schedule, this.keys.signatures],
      [taskId, definition, entry.signature, entry.firstSlot, this.keys.events, this.notice()],
    );
    return created === 1;
  }

  async remove(taskId: string): Promise<string | null> {
    return this.scripts.run<string | null>(
      'deleteTask',
      [this.keys.schedule, this.keys.signatures, this.keys.taskState(taskId), this.keys.history(taskId)],
      [taskId, this.keys.dynamic, this.keys.events, this.notice()],
    );
  }
}
