// Sizes and durations of each scenario: `full` (npm run bench, ~12-14 min on 2 cores) and `smoke`
// (test/bench-smoke.e2e-spec.ts: tiny sizes, a few seconds each).

export const PARAMS = {
  full: {
    lateness: { tasks: 200, runs: 3, warmupS: 3, windowS: 8, concurrency: 200, graceMs: 2000, observeStream: true },
    throughput: { tasks: 5000, runs: 3, warmupS: 3, windowS: 10, concurrency: 200, graceMs: 3000 },
    cluster: { tasks: 10_000, instances: 3, runs: 3, warmupS: 4, windowS: 10, concurrency: 200, graceMs: 3000 },
    commands: { fallback: { lateness: { runs: 1, windowS: 5 }, throughput: { runs: 1, windowS: 5 } } },
    idle: { oursSizes: [0, 10_000, 100_000], bullmqSizes: [0, 10_000], warmupS: 5, windowS: 30 },
    memory: { tasks: 10_000, runs: 3, settleMs: 1500 },
    failover: {
      trials: 3,
      settings: [
        { name: 'defaults', options: {} },
        { name: 'tuned', options: { leaderHeartbeatInterval: 0.5 } },
      ],
    },
    recovery: { trials: 3, holdMs: 4000, timeoutMs: 40_000, bullmq: { trials: 1, holdMs: 4000, timeoutMs: 90_000 } },
    list: { tasks: 10_000, calls: 7, paged: { tasks: 100_000, limit: 100, calls: 11 } },
    startup: { sizes: [0, 10_000, 100_000], runs: 3, bullmqTasks: 10_000, profile: true },
    sweep: {
      tasks: 5000,
      concurrency: [50, 200, 1000, 5000],
      systems: ['ours', 'bullmq'],
      warmupS: 3,
      windowS: 6,
      graceMs: 3000,
    },
    profile: { tasks: 5000, concurrency: 200, warmupS: 3, windowS: 10, slowlogDelayMs: 1000, slowlogSampleMs: 1500 },
  },
  smoke: {
    lateness: { tasks: 5, runs: 1, warmupS: 0.5, windowS: 1, concurrency: 5, graceMs: 300, observeStream: true },
    throughput: { tasks: 20, runs: 1, warmupS: 0.5, windowS: 1, concurrency: 20, graceMs: 300 },
    cluster: { tasks: 20, instances: 2, runs: 1, warmupS: 0.5, windowS: 1, concurrency: 20, graceMs: 300 },
    commands: { fallback: { lateness: { runs: 1, windowS: 1 }, throughput: { runs: 1, windowS: 1 } } },
    idle: { oursSizes: [20], bullmqSizes: [20], warmupS: 0.3, windowS: 3 },
    memory: { tasks: 200, runs: 1, settleMs: 300 },
    failover: {
      trials: 1,
      settings: [{ name: 'tuned', options: { leaderHeartbeatInterval: 0.5 } }],
    },
    recovery: {
      trials: 1,
      holdMs: 500,
      timeoutMs: 15_000,
      options: { runningHeartbeatInterval: 0.5 },
      bullmq: null,
    },
    list: { tasks: 200, calls: 2, paged: { tasks: 300, limit: 100, calls: 3 } },
    startup: { sizes: [50], runs: 1, bullmqTasks: 50 },
    sweep: { tasks: 20, concurrency: [5, 20], systems: ['ours'], warmupS: 0.5, windowS: 1, graceMs: 300 },
    profile: { tasks: 20, concurrency: 20, warmupS: 0.5, windowS: 2, slowlogDelayMs: 0, slowlogSampleMs: 1200 },
  },
};
