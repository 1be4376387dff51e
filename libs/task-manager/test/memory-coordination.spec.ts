import { describe, expect, it, vi } from 'vitest';
import type { LoggerService } from '@nestjs/common';
import type { CoordinationPort } from '../src/engine/coordination.port.js';
import { createMemoryCoordination, MEMORY_DRIVER_WARNING } from '../src/memory/memory-coordination.js';
import { MemorySortedSet } from '../src/memory/memory-sorted-set.js';
import { MemoryStore } from '../src/memory/memory-store.js';
import { describeCoordinationContract } from './coordination-contract.js';

const silent: LoggerService = { log: () => undefined, warn: () => undefined, error: () => undefined };

describeCoordinationContract(
  'memory',
  async (settings) => {
    const store = new MemoryStore();
    const ports: CoordinationPort[] = [];
    const build = async (workerId: string) => {
      const port = createMemoryCoordination(
        { ...settings, partitions: settings.partitions ?? 1 },
        workerId,
        silent,
        store,
      );
      await port.lifecycle.connect();
      ports.push(port);
      return port;
    };
    return {
      port: await build(settings.workerId),
      peer: build,
      wipe: async () => store.clear(),
      dispose: async () => {
        for (const port of ports) await port.lifecycle.close();
      },
    };
  },
  { partitioned: true },
);

describe('memory driver', () => {
  const settings = { statisticsHistoryRuns: 10, statisticsRedisExpiration: 60, partitions: 1 };

  it('warns once, on its first connection, that it runs in-process', async () => {
    const logger = { log: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const port = createMemoryCoordination(settings, 'w1', logger);
    expect(port.lifecycle.isHealthy()).toBe(false);
    await port.lifecycle.connect();
    await port.lifecycle.connect();
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(MEMORY_DRIVER_WARNING);
    await port.lifecycle.close();
  });

  it('stops delivering notices to an instance once it is closed', async () => {
    const store = new MemoryStore();
    const a = createMemoryCoordination(settings, 'a', silent, store);
    const b = createMemoryCoordination(settings, 'b', silent, store);
    const seen: string[] = [];
    await b.notices.subscribe((n) => seen.push(n.origin));
    await a.notices.publish({ type: 'schedule', origin: 'a' });
    await Promise.resolve();
    await b.lifecycle.close();
    await a.notices.publish({ type: 'schedule', origin: 'a' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toEqual(['a']);
  });

  it('a listener that throws does not keep a notice from the others', async () => {
    const logger = { log: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const port = createMemoryCoordination(settings, 'w1', logger);
    const seen: string[] = [];
    await port.notices.subscribe(() => {
      throw new Error('listener bug');
    });
    await port.notices.subscribe((n) => seen.push(n.type));
    await port.notices.publish({ type: 'tasks', origin: 'w1' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toEqual(['tasks']);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('listener bug'));
  });
});

describe('MemorySortedSet', () => {
  it('orders by score then member, moves and removes members, and reads ranges', () => {
    const set = new MemorySortedSet();
    expect(set.set('b', 2)).toBe(true);
    expect(set.set('a', 2)).toBe(true);
    expect(set.set('c', 1)).toBe(true);
    expect(set.set('c', 3)).toBe(false);
    expect(set.entries().map((e) => e.member)).toEqual(['a', 'b', 'c']);
    expect(set.first()).toEqual({ member: 'a', score: 2 });
    expect(set.upTo(2).map((e) => e.member)).toEqual(['a', 'b']);
    expect(set.upTo(3, 1).map((e) => e.member)).toEqual(['a']);
    expect(set.delete('a')).toBe(true);
    expect(set.delete('a')).toBe(false);
    expect(set.score('b')).toBe(2);
    expect(set.size).toBe(2);
    for (let i = 0; i < 200; i++) set.set(`m${i}`, (i * 37) % 101);
    const scores = set.entries().map((e) => e.score);
    expect(scores).toEqual([...scores].sort((x, y) => x - y));
  });
});
