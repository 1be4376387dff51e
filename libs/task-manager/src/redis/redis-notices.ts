import type { ChangeNotice, NoticePort } from '../engine/coordination.port.js';
import type { RedisConnections } from './redis-connections.js';
import type { TaskManagerKeys } from './task-manager-keys.js';
import { decodeNotice, encodeNotice } from '../wire/notice.js';

/** Cluster-wide change notices over Redis pub/sub (on its own connection, re-subscribed by ioredis on reconnect). */
export class RedisNotices implements NoticePort {
  private subscribed = false;

  constructor(
    private readonly connections: RedisConnections,
    private readonly keys: TaskManagerKeys,
  ) {}

  async publish(notice: ChangeNotice): Promise<void> {
    await this.connections.get('command').publish(this.keys.events, encodeNotice(notice));
  }

  async subscribe(listener: (notice: ChangeNotice) => void): Promise<void> {
    const client = this.connections.get('subscriber');
    client.on('message', (channel: string, message: string) => {
      if (channel !== this.keys.events) return;
      const notice = decodeNotice(message);
      if (notice) listener(notice);
    });
    if (!this.subscribed) {
      this.subscribed = true;
      if (client.status === 'wait') await client.connect();
      await client.subscribe(this.keys.events);
    }
  }
}
