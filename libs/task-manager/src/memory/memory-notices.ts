import type { LoggerService } from '@nestjs/common';
import type { ChangeNotice, NoticePort } from '../engine/coordination.port.js';
import type { MemoryStore } from './memory-store.js';

/**
 * Change notices between the instances sharing a store (in one process): delivered to every subscriber,
 * the publisher included (like Redis pub/sub), asynchronously. A listener that throws is logged and does
 * not keep the notice from the others.
 */
export class MemoryNotices implements NoticePort {
  private readonly subscriptions: Array<() => void> = [];

  constructor(
    private readonly store: MemoryStore,
    private readonly logger: LoggerService,
  ) {}

  async publish(notice: ChangeNotice): Promise<void> {
    this.store.notify(notice);
  }

  async subscribe(listener: (notice: ChangeNotice) => void): Promise<void> {
    this.subscriptions.push(
      this.store.listen((notice) => {
        try {
          listener(notice);
        } catch (error) {
          this.logger.warn(`Change notice listener failed: ${(error as Error).message}`);
        }
      }),
    );
  }

  /** Stops delivering notices to this instance's listeners (on close). */
  unsubscribeAll(): void {
    for (const unsubscribe of this.subscriptions.splice(0)) unsubscribe();
  }
}
