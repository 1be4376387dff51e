import type { ChangeNotice, NoticePort } from '../engine/coordination.port.js';
import type { RedisConnections } from './redis-connections.js';
import type { TaskManagerKeys } from './task-manager-keys.js';

/** Cluster-wide change notices over Redis pub/sub (on its own connection, re-subscribed by ioredis on reconnect). */
export class RedisNotices implements NoticePort {
  private subscribed = false;

  constructor(
    private readonly connections: RedisConnections,
    private readonly keys: TaskManagerKeys,
  ) {}

  async publish(notice: ChangeNotice): Promise<void> {
    await this.connections.get('command').publish(this.keys.events, JSON.stringify(notice));
  }

  async subscribe(listener: (notice: ChangeNotice) => void): Promise<void> {
    const client = this.connections.get('subscriber');
    client.on('message', (channel: string, message: string) => {
      if (channel !== this.keys.events) return;
      const notice = parseNotice(message);
      if (notice) listener(notice);
    });
    if (!this.subscribed) {
      this.subscribed = true;
      if (client.status === 'wait') await client.connect();
      await client.subscribe(this.keys.events);
    }
  }
}

function parseNotice(message: string): ChangeNotice | undefined {
  try {
    const notice = JSON.parse(message) as ChangeNotice;
    return typeof notice?.type === 'string' ? notice : undefined;
  } catch {
    return undefined;
  }
}
