/** User-facing messages of the optional integrations (health indicator, metrics, event bridge). */
export const integrationMessages = {
  shuttingDown: () => 'the task manager is shutting down',
  redisDisconnected: () => 'Redis is unreachable',
  redisFailed: (error: string) => `Redis did not answer (${error})`,
  redisTimeout: (timeoutMs: number) => `Redis did not answer within ${timeoutMs} ms`,
  leaderless: (forMs: number, boundMs: number) =>
    `no leader for ${forMs} ms (longer than the failover bound of ${boundMs} ms): nothing is being scheduled`,
  leaderlessPartitions: (partitions: readonly number[], forMs: number, boundMs: number) =>
    `${partitions.length === 1 ? 'partition' : 'partitions'} ${partitions.join(', ')} without a leader for longer ` +
    `than the failover bound of ${boundMs} ms (up to ${forMs} ms): ${partitions.length === 1 ? 'its' : 'their'} ` +
    'tasks are not being scheduled',
  overdue: (count: number, toleranceMs: number) =>
    `${count} task(s) overdue: their slot passed more than ${toleranceMs} ms ago without a run`,
  eventEmitterMissing: () =>
    'TaskManagerEventEmitterModule is imported but no EventEmitter2 is available: import ' +
    'EventEmitterModule.forRoot() from @nestjs/event-emitter. Task manager events are not forwarded.',
};
