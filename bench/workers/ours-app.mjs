// Our system under test: a real Nest application using the built `nestjs-task-manager` package, as a
// user's app would. Configured by BENCH_CONFIG (JSON):
//   redisUrl, prefix          where to coordinate
//   tasks, cron               `tasks` tasks t-1..t-N (one @Task with a kwargs list) on `cron`
//   longTask: { ms }          an extra task "long" (never due by itself; triggered) running `ms`
//   options                   extra TaskManagerModule options (e.g. concurrentTasks, partitions; a Redis
//                             Cluster as `redis: { cluster: { nodes } }`, which replaces redisUrl)
//   http: { apiOptions }      boot an HTTP app (for the management API, when the library has one)
// Driven over IPC (see common.mjs); records every execution (task index, slot, handler start).
import { Recorder, config, emit, now, processStart, serve, usage } from './common.mjs';

const marks = { processStart };
await import('reflect-metadata');
const { Injectable, Module } = await import('@nestjs/common');
const { NestFactory } = await import('@nestjs/core');
marks.nestImported = now();
const lib = await import('nestjs-task-manager');
const { Task, TaskGroup, TaskManagerModule, TaskManagerService } = lib;
marks.imported = now();

const recorder = new Recorder();
const taskCount = config.tasks ?? 0;

class BenchTasks {
  tick(kwargs, ctx) {
    recorder.record(kwargs?.i ?? 0, ctx.scheduledAt.getTime(), now());
  }

  async long(kwargs, ctx) {
    emit({
      type: 'run',
      task: ctx.taskName,
      slot: ctx.scheduledAt.getTime(),
      attempt: ctx.attempt,
      worker: ctx.workerId,
      start: now(),
    });
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, config.longTask?.ms ?? 60_000);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    emit({ type: 'end', task: ctx.taskName, slot: ctx.scheduledAt.getTime(), worker: ctx.workerId });
  }
}

const decorate = (decorators, name) =>
  Reflect.decorate(decorators, BenchTasks.prototype, name, Object.getOwnPropertyDescriptor(BenchTasks.prototype, name));
if (taskCount > 0) {
  const kwargs = Array.from({ length: taskCount }, (_, i) => ({ i }));
  decorate([Task(config.cron ?? '* * * * * *', { name: 't', kwargs: taskCount === 1 ? kwargs[0] : kwargs })], 'tick');
}
if (config.longTask) decorate([Task('0 0 1 1 *', { name: 'long' })], 'long');
const Tasks = Reflect.decorate([TaskGroup({ name: 'Bench' }), Injectable()], BenchTasks);

class BenchModule {}
Reflect.decorate(
  [
    Module({
      imports: [
        TaskManagerModule.forRoot({
          redis: config.redisUrl,
          keyPrefix: config.prefix,
          ...(config.http?.apiOptions !== undefined ? { api: config.http.apiOptions } : {}),
          ...config.options,
        }),
      ],
      providers: [Tasks],
    }),
  ],
  BenchModule,
);

process.on('unhandledRejection', (reason) =>
  emit({ type: 'unhandledRejection', reason: String(reason?.stack ?? reason) }),
);
let app;
let httpPort = null;
if (config.http) {
  app = await NestFactory.create(BenchModule, { logger: ['error', 'warn'] });
  marks.created = now();
  await app.listen(0, '127.0.0.1');
  httpPort = app.getHttpServer().address().port;
} else {
  app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error', 'warn'] });
  marks.created = now();
  await app.init();
}
marks.ready = now();
const service = app.get(TaskManagerService);

let leader = false;
const leaderPoll = setInterval(() => {
  const isLeader = service.health().isLeader;
  if (isLeader !== leader) {
    leader = isLeader;
    if (leader && marks.leader === undefined) marks.leader = now();
    emit({ type: 'leader', isLeader, worker: service.workerId, at: now() });
  }
}, 5);
leaderPoll.unref();

serve({
  collect: () => recorder.drain(),
  marks: () => marks,
  trigger: async ({ name }) => (await service.trigger({ name })).length,
  getTasks: async ({ offset, limit } = {}) => {
    const t0 = now();
    const views = await service.getTasks({}, { offset, limit });
    return { ms: now() - t0, count: views.length };
  },
  health: () => service.health(),
  stop: async () => {
    clearInterval(leaderPoll);
    await app.close();
  },
});
emit({ type: 'ready', worker: service.workerId, marks, httpPort, usage: usage() });
