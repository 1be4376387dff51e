import type { RedisClient } from './redis-client.js';
import type { TaskManagerKeys } from './task-manager-keys.js';

/** The consumer groups on the deployment's run streams. */
export class RedisConsumerGroups {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: TaskManagerKeys,
    private readonly group: string,
  ) {}

  /** The run streams (for messages). */
  get streams(): string[] {
    return [this.keys.streamHigh, this.keys.streamNormal];
  }

  /** Groups other than this instance's, on `streams` (none when they do not exist yet). */
  async foreign(streams = this.streams): Promise<string[]> {
    const names = new Set<string>();
    for (const stream of streams) {
      let groups: unknown[][];
      try {
        groups = (await this.client.xinfo('GROUPS', stream)) as unknown[][];
      } catch (error) {
        if (/no such key/i.test(String((error as Error).message))) continue;
        throw error;
      }
      for (const fields of groups) {
        const name = fields[fields.indexOf('name') + 1];
        if (typeof name === 'string' && name !== this.group) names.add(name);
      }
    }
    return [...names].sort();
  }
}
