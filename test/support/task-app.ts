/**
 * Builds in-process Nest application contexts around `TaskManagerModule` for engine tests, each with its
 * own key prefix on the shared test Redis, and a `RunLog` provider that task groups inject to record
 * what they executed.
 */
import {
  Injectable,
  Module,
  type DynamicModule,
  type INestApplicationContext,
  type Provider,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  TaskManagerModule,
  TaskManagerService,
  type TaskContext,
  type TaskManagerModuleOptions,
} from 'nestjs-task-manager';
import { cleanupPrefix, redisUrl, uniquePrefix } from './redis.js';

/** One execution as seen by a handler. */
export interface RunEntry {
  task: string;
  group: string;
  slot: number;
  startedAt: number;
  endedAt?: number;
  attempt: number;
  kwargs: Record<string, unknown>;
  workerId: string;
}

/** Shared record of executions; inject it into test task groups. */
@Injectable()
export class RunLog {
  readonly entries: RunEntry[] = [];

  /** Records the start of a run and returns a function recording its end. */
  start(kwargs: Record<string, unknown>, ctx: TaskContext): () => void {
    const entry: RunEntry = {
      task: ctx.taskName,
      group: ctx.groupName,
      slot: ctx.scheduledAt.getTime(),
      startedAt: Date.now(),
      attempt: ctx.attempt,
      kwargs,
      workerId: ctx.workerId,
    };
    this.entries.push(entry);
    return () => {
      entry.endedAt = Date.now();
    };
  }

  of(task: string): RunEntry[] {
    return this.entries.filter((e) => e.task === task);
  }
}

/** A running test application. */
export interface TaskApp {
  readonly app: INestApplicationContext;
  readonly service: TaskManagerService;
  readonly log: RunLog;
  readonly prefix: string;
  /** Closes the app (idempotent). */
  close(): Promise<void>;
  /** Closes the app and deletes every key of its prefix. */
  dispose(): Promise<void>;
}

/** Options of `startTaskApp`. */
export interface TaskAppOptions {
  groups: Type[];
  options?: Partial<TaskManagerModuleOptions>;
  providers?: Provider[];
  imports?: Array<Type | DynamicModule>;
  /** Reuse a prefix (several apps of one deployment). */
  prefix?: string;
  label?: string;
}

/** Creates and initialises an application context running the given task groups. */
export async function startTaskApp(spec: TaskAppOptions): Promise<TaskApp> {
  const prefix = spec.prefix ?? uniquePrefix(spec.label ?? 'app');
  @Module({
    imports: [
      TaskManagerModule.forRoot({
        redis: redisUrl(),
        keyPrefix: prefix,
        ...spec.options,
      }),
      ...(spec.imports ?? []),
    ],
    providers: [RunLog, ...spec.groups, ...(spec.providers ?? [])],
  })
  class TestAppModule {}
  const app = await NestFactory.createApplicationContext(TestAppModule, {
    logger: ['error', 'warn'],
  });
  await app.init();
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= app.close());
  return {
    app,
    service: app.get(TaskManagerService),
    log: app.get(RunLog),
    prefix,
    close,
    dispose: async () => {
      await close();
      await cleanupPrefix(prefix);
    },
  };
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves at the start of the next wall-clock second plus `offsetMs`. */
export async function untilNextSecond(offsetMs = 0): Promise<void> {
  await sleep(1000 - (Date.now() % 1000) + offsetMs);
}
