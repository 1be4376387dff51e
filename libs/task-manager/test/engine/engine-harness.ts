/**
 * The whole engine of one or more instances on the in-process driver, driven by one fake time source: no
 * Redis, no real timers. Each instance is a real TaskManagerOrchestrator (as the module builds it).
 */
import type { LoggerService } from '@nestjs/common';
import type { CoordinationPort } from '../../src/engine/coordination.port.js';
import type { EngineTimers } from '../../src/engine/timers.js';
import type { WorkerIdentity } from '../../src/engine/worker-identity.js';
import type { ResolvedTaskManagerOptions } from '../../src/options/resolved-options.js';
import { TaskManagerEvents, type TaskManagerEventMap } from '../../src/engine/task-manager-events.js';
import { TaskManagerOrchestrator } from '../../src/engine/task-manager.orchestrator.js';
import { createMemoryCoordination } from '../../src/memory/memory-coordination.js';
import { MemoryStore } from '../../src/memory/memory-store.js';
import { resolveOptions } from '../../src/options/resolve-options.js';
import type { TaskManagerModuleOptions } from '../../src/options/task-manager-options.interface.js';
import type { TaskDefinition } from '../../src/registry/task-definition.js';
import { TaskRegistry } from '../../src/registry/task-registry.js';
import { ManualTimers } from './manual-timers.js';

/** A logger that keeps its lines. */
export function recordingLogger() {
  const lines: Array<{ level: string; message: string; context?: string }> = [];
  const at =
    (level: string) =>
    (message: unknown, context?: string): void =>
      void lines.push({ level, message: String(message), context });
  const logger: LoggerService = { log: at('log'), warn: at('warn'), error: at('error'), debug: at('debug') };
  return { logger, lines, text: () => lines.map((l) => `${l.level}: ${l.message}`).join('\n') };
}

export const silent: LoggerService = { log: () => undefined, warn: () => undefined, error: () => undefined };

export interface Instance {
  id: string;
  orchestrator: TaskManagerOrchestrator;
  port: CoordinationPort;
  registry: TaskRegistry;
  events: TaskManagerEvents;
  /** Every event emitted here, in order. */
  emitted: Array<{ name: keyof TaskManagerEventMap; event: unknown }>;
  logger: ReturnType<typeof recordingLogger>;
  options: ResolvedTaskManagerOptions;
  worker: WorkerIdentity;
}

/** `timers` seen from a host whose clock is `skewMs` ahead (its timers fire on time). */
export function skewed(timers: EngineTimers, skewMs: number): EngineTimers {
  return {
    now: () => timers.now() + skewMs,
    monotonic: () => timers.monotonic(),
    setTimeout: (fn, ms) => timers.setTimeout(fn, ms),
    clearTimeout: (handle) => timers.clearTimeout(handle),
    setInterval: (fn, ms) => timers.setInterval(fn, ms),
    clearInterval: (handle) => timers.clearInterval(handle),
    unref: (handle) => timers.unref(handle),
    random: () => timers.random(),
  };
}

/** Instances sharing one in-process store and one fake time source. */
export class EngineHarness {
  readonly timers = new ManualTimers();
  readonly store = new MemoryStore(this.timers);
  readonly instances: Instance[] = [];

  /** @param partitions the deployment's partition count. */
  constructor(readonly partitions = 1) {}

  /**
   * Adds an instance running `tasks` (not started); with `skewMs`, its host's clock is that far ahead of the
   * store's (the "Redis server's").
   */
  instance(id: string, tasks: TaskDefinition[], options: TaskManagerModuleOptions = {}, skewMs = 0): Instance {
    const timers = skewMs === 0 ? this.timers : skewed(this.timers, skewMs);
    const resolved = resolveOptions({ keyPrefix: 'sim', partitions: this.partitions, ...options }, '/nonexistent');
    const logger = recordingLogger();
    const port = createMemoryCoordination(resolved, id, silent, this.store);
    const registry = new TaskRegistry();
    for (const task of tasks) registry.addTask(task);
    const events = new TaskManagerEvents(logger.logger);
    const emitted: Instance['emitted'] = [];
    events.onAny((name, event) => emitted.push({ name, event }));
    const worker = { id, host: 'sim', pid: 1, startedAt: timers.now() };
    const orchestrator = new TaskManagerOrchestrator(resolved, port, worker, logger.logger, registry, events, timers);
    const instance = { id, orchestrator, port, registry, events, emitted, logger, options: resolved, worker };
    this.instances.push(instance);
    return instance;
  }

  /** Starts `instance` (as EngineStartup does), letting fake time run meanwhile. */
  async start(instance: Instance): Promise<void> {
    let done = false;
    const started = instance.orchestrator.start().finally(() => (done = true));
    await this.timers.until(() => done);
    await started;
  }

  /** Starts `instance` and lets fake time run until it leads. */
  async startLeader(instance: Instance): Promise<void> {
    await this.start(instance);
    await this.timers.until(() => instance.orchestrator.isLeader);
  }

  /** Stops `instance` (shutdown, then the connections), letting fake time run meanwhile. */
  async stop(instance: Instance): Promise<void> {
    this.instances.splice(this.instances.indexOf(instance), 1);
    let done = false;
    const stopped = instance.orchestrator.onApplicationShutdown().finally(() => (done = true));
    await this.timers.until(() => done, 120_000);
    await stopped;
  }

  /** Stops every instance (shutdown, then the connections), letting fake time run meanwhile. */
  async stopAll(): Promise<void> {
    while (this.instances.length > 0) await this.stop(this.instances[0]);
  }
}

/** Names of the events of `name` emitted by `instance`, with their payloads. */
export function eventsOf<E extends keyof TaskManagerEventMap>(instance: Instance, name: E): TaskManagerEventMap[E][] {
  return instance.emitted.filter((e) => e.name === name).map((e) => e.event as TaskManagerEventMap[E]);
}
