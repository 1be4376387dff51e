import { layoutMarker } from '../wire/layout-marker.js';
import type { RedisClient } from './redis-client.js';
import type { RedisScripts } from './redis-scripts.js';
import type { TaskManagerKeys } from './task-manager-keys.js';

/**
 * The consumer groups that tell who else uses the deployment's key prefix: other `workerServiceName`s' groups
 * on its run streams, and the layout marker of a deployment of several partitions (`wire/layout-marker.ts`).
 */
export class RedisConsumerGroups {
  constructor(
    private readonly client: RedisClient,
    private readonly scripts: RedisScripts,
    private readonly keys: TaskManagerKeys,
    private readonly group: string,
  ) {}

  /**
   * The run streams looked at for other groups: partition 0's (every partition gets the deployment's groups at
   * once; with one partition, the deployment's own streams).
   */
  get streams(): string[] {
    const first = this.keys.partition(0);
    return [first.streamHigh, first.streamNormal];
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

  /**
   * Several partitions: puts this deployment's layout marker on `keys.layoutMarkerStream` (again after a wipe)
   * unless that stream holds other groups (a deployment of one partition, or of another partition count),
   * which are returned, nothing written (one script). One partition: nothing to mark, nothing sent.
   */
  async markLayout(): Promise<string[]> {
    if (this.keys.partitions === 1) return [];
    const others = await this.scripts.run<string[]>(
      'markLayout',
      [this.keys.layoutMarkerStream],
      [layoutMarker(this.keys.partitions)],
    );
    return [...others].sort();
  }
}
