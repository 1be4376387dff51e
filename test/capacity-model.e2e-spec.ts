/**
 * The capacity model `tools/capacity-model.mjs` (docs/scaling.md): its formulas and replay on hand-computed
 * cases, its inputs read from a benchmarks.json, and docs/scaling.md's generated tables equal to what the CLI
 * prints from today's docs/benchmarks.json. Pure functions: no Redis, no app.
 */
import { readFileSync } from 'node:fs';
import {
  BENCHMARKS_JSON,
  busiestShare,
  ceilings,
  costsFromBenchmarks,
  effectiveMasters,
  load,
  memory,
  renderMarkdown,
  replay,
  report,
  reportOf,
  SCALING_MD,
  size,
  sizePartitioned,
  withTables,
} from '../tools/capacity-model.mjs';

/** Round figures: 100 µs of engine CPU and 50 µs of Redis CPU per run, 10 % of the engine's CPU publishing. */
const COSTS = {
  engineUsPerRun: 100,
  redisUsPerRun: 50,
  commandsPerRun: 7,
  publishShare: 0.1,
  redisPublishShare: 0.2,
  bytesPerTask: 250,
  instanceBaseBytes: 100e6,
  instanceBytesPerTask: 1000,
};

describe('tools/capacity-model.mjs', () => {
  it('spreads partitions over servers: masters beyond the partitions add nothing', () => {
    expect(effectiveMasters(3, 1)).toBe(1);
    expect(effectiveMasters(3, 6)).toBe(3);
    expect(effectiveMasters(9, 4)).toBe(4);
    expect(busiestShare(3, 1)).toBe(1);
    expect(busiestShare(3, 6)).toBeCloseTo(1 / 3);
    expect(busiestShare(2, 3)).toBeCloseTo(2 / 3);
    expect(busiestShare(12, 9)).toBeCloseTo(1 / 9);
  });

  it('puts one partition on one master and its publishing on one instance', () => {
    // 10,000 runs/s × 100 µs = 1 core of engine CPU, 0.1 of it publishing: the consuming evens 4 instances out.
    const today = load(COSTS, { instances: 4, masters: 3, partitions: 1 }, 10_000);
    expect(today.effectiveMasters).toBe(1);
    expect(today.instancesCoresTotal).toBeCloseTo(1);
    expect(today.leaderPublishCores).toBeCloseTo(0.1);
    expect(today.busiestInstanceCores).toBeCloseTo(0.25);
    expect(today.otherInstancesCoresMean).toBeCloseTo(0.25);
    expect(today.busiestMasterCores).toBeCloseTo(0.5);
    expect(today.busiestMasterCommandsPerSecond).toBeCloseTo(70_000);
    // 60,000 runs/s on 20 instances: an even share (0.3) is less than the one leader's publishing (0.6).
    const leaderBound = load(COSTS, { instances: 20, masters: 1, partitions: 1 }, 60_000);
    expect(leaderBound.busiestInstanceCores).toBeCloseTo(0.6);
    expect(leaderBound.otherInstancesCoresMean).toBeCloseTo(5.4 / 19);
    // 4 partitions: each leader publishes a quarter (0.15), under the even share again.
    expect(load(COSTS, { instances: 20, masters: 1, partitions: 4 }, 60_000).busiestInstanceCores).toBeCloseTo(0.3);
    // 6 partitions on 3 masters: the busiest master holds 2 of 6.
    const partitioned = load(COSTS, { instances: 4, masters: 3, partitions: 6 }, 10_000);
    expect(partitioned.leaderPublishCores).toBeCloseTo(0.1 / 3);
    expect(partitioned.busiestMasterCores).toBeCloseTo(0.5 / 3);
    expect(load(COSTS, { instances: 1, masters: 1, partitions: 1 }, 10_000).otherInstancesCoresMean).toBeNull();
    // A wave of 100,000 runs within 10 s is the same load as 10,000 runs/s.
    expect(load(COSTS, { instances: 4, masters: 3, partitions: 1 }, 100_000, 10)).toEqual(today);
  });

  it('sizes a load at the target utilisation, and says when one partition cannot carry it', () => {
    expect(size(COSTS, 10_000, { partitions: 1 })).toEqual({ partitions: 1, masters: 1, instances: 2 });
    // 24,000 runs/s: the one master would be at 120 %; 2.4 cores of engine CPU → 4 instances at ≤ 70 %.
    expect(size(COSTS, 24_000, { partitions: 1 })).toEqual({ partitions: 1, masters: null, instances: 4 });
    // Two partitions: 2 masters at 60 %.
    expect(sizePartitioned(COSTS, 24_000, {})).toEqual({ partitions: 2, masters: 2, instances: 4 });
    // The one leader's publishing alone would need 0.8 core: no instance count is enough with one partition,
    // two partitions need 8 cores' worth of instances, 12 at 70 %.
    expect(size(COSTS, 80_000, { partitions: 1 }).instances).toBeNull();
    expect(size(COSTS, 80_000, { partitions: 2 }).instances).toBe(12);
    expect(size(COSTS, 10_000, { partitions: 1, target: 0.4 })).toEqual({ partitions: 1, masters: null, instances: 3 });
    const { masterRunsPerSecond, leaderRunsPerSecond } = ceilings(COSTS);
    expect(masterRunsPerSecond).toBeCloseTo(14_000);
    expect(leaderRunsPerSecond).toBeCloseTo(70_000);
  });

  it('sizes memory: one partition on one master, every instance holding every task', () => {
    const options = { partitions: 1, masterMemoryBytes: 4e9 };
    expect(memory(COSTS, 10_000_000, options)).toEqual({ redisBytes: 2.5e9, masters: 1, instanceBytes: 10.1e9 });
    expect(memory(COSTS, 10_000_000, { ...options, masterMemoryBytes: 2e9 }).masters).toBeNull();
    expect(memory(COSTS, 10_000_000, { partitions: 4, masterMemoryBytes: 2e9 }).masters).toBe(2);
  });

  it('replays an aligned wave: the busiest single-threaded server sets the drain time', () => {
    const wave = { runs: 10_000, arrival: 'aligned' as const };
    // 1 s of engine work on the one instance, then the last batch's Redis work (100 × 0.8 × 50 µs = 4 ms).
    const one = replay(COSTS, { ...wave, instances: 1, masters: 1, partitions: 1 });
    expect(one.finished).toBe(true);
    expect(one.drainS).toBeGreaterThanOrEqual(1);
    expect(one.drainS).toBeLessThan(1.02);
    // Sharing one core: 1.5 s of work in all.
    const shared = replay(COSTS, { ...wave, instances: 1, masters: 1, partitions: 1, hostCores: 1 });
    expect(shared.drainS).toBeGreaterThanOrEqual(1.5);
    expect(shared.drainS).toBeLessThan(1.55);
    // 4 instances and 4 masters: with one partition the master's 0.5 s is the floor; with 4, a quarter of each.
    const today = replay(COSTS, { ...wave, instances: 4, masters: 4, partitions: 1 });
    expect(today.effectiveMasters).toBe(1);
    expect(today.drainS).toBeGreaterThanOrEqual(0.5);
    expect(today.drainS).toBeLessThan(0.53);
    const partitioned = replay(COSTS, { ...wave, instances: 4, masters: 4, partitions: 4 });
    expect(partitioned.drainS).toBeGreaterThanOrEqual(0.25);
    expect(partitioned.drainS).toBeLessThan(0.3);
  });

  it('replays runs spread over the minute: each second’s share waits at most its own work', () => {
    const spread = replay(COSTS, { runs: 60_000, arrival: 'spread', instances: 1, masters: 1, partitions: 1 });
    expect(spread.doneRuns).toBe(60_000);
    // 1,000 runs a second: 0.1 s of engine work, then the last batch's Redis work.
    expect(spread.maxDelayS).toBeGreaterThanOrEqual(0.1);
    expect(spread.maxDelayS).toBeLessThan(0.12);
    expect(spread.drainS).toBeCloseTo(59 + spread.maxDelayS, 2);
    expect(spread.busiestInstanceUtilisation).toBeCloseTo(0.1, 2);
    expect(spread.busiestMasterUtilisation).toBeCloseTo(0.05, 2);
  });

  it('reads its inputs from a benchmarks.json', () => {
    const stat = (median: number) => ({ median });
    const bench = {
      scenarios: {
        throughput: {
          summary: {
            ours: {
              engineCpuUsPerExecution: stat(90),
              redisCpuUsPerExecution: stat(60),
              commandsPerExecution: stat(7.5),
            },
          },
        },
        memory: { ours: { bytesPerTask: stat(270) } },
        profile: {
          cpu: {
            sampledMs: 1000,
            byModule: [{ name: '(idle)', ms: 600 }],
            libraryInclusive: [{ name: 'tick engine/scheduler.js:83', ms: 40 }],
          },
          redisSample: {
            commands: [
              { command: 'evalsha publish-runs', shareOfRedisTime: 30 },
              { command: 'evalsha complete-runs', shareOfRedisTime: 70 },
            ],
          },
        },
        startup: { ours: { '0': { rssMB: stat(90) }, '1000': { rssMB: stat(91) }, '100000': { rssMB: stat(190) } } },
        idle: { ours: [{ tasks: 0, commandsPerSecond: 1.7, redisCpuPercent: 0.2, process: { cpuPercent: 2 } }] },
      },
    };
    const costs = costsFromBenchmarks(bench);
    expect(costs).toMatchObject({ engineUsPerRun: 90, redisUsPerRun: 60, commandsPerRun: 7.5, bytesPerTask: 270 });
    expect(costs.publishShare).toBeCloseTo(0.1);
    expect(costs.redisPublishShare).toBeCloseTo(0.3);
    expect(costs.instanceBaseBytes).toBe(90e6);
    expect(costs.instanceBytesPerTask).toBeCloseTo(1000);
    expect(() => costsFromBenchmarks({ scenarios: { ...bench.scenarios, memory: { ours: {} } } })).toThrow(
      /memory\.ours\.bytesPerTask/,
    );
  });

  it('validates the partitioned setup from scenario 15 once it has run, and says so while it has not', () => {
    const stat = (median: number) => ({ median });
    const bench = JSON.parse(readFileSync(BENCHMARKS_JSON, 'utf8'));
    const idle = (partitions: number, perMaster: number[]) => ({
      partitions,
      tasks: 10_000,
      commandsPerSecond: perMaster.reduce((a, b) => a + b, 0),
      perMaster: perMaster.map((commandsPerSecond) => ({ commandsPerSecond, cpuPercent: 0.2 })),
      redisCpuPercent: 0.6,
    });
    const partitions = {
      params: { masters: 3, instances: 3, partitions: [1, 6] },
      byPartitions: {
        '1': { summary: { runsPerSecond: stat(3000) }, idle: idle(1, [0.5, 4.5, 0.5]) },
        '6': {
          summary: {
            runsPerSecond: stat(3000),
            busiestMasterCommandsShare: stat(0.36),
            busiestMasterCpuPercent: stat(7),
            busiestProcessCpuPercent: stat(12),
            cpuPercentTotal: stat(33),
            engineCpuUsPerExecution: stat(110),
          },
          idle: idle(6, [2, 2.5, 2]),
        },
      },
    };
    const measured = report({ ...bench, scenarios: { ...bench.scenarios, partitions } });
    const rows = measured.validation.filter((v: { setup: string }) => v.setup.includes('6 partitions'));
    const { redisUsPerRun, engineUsPerRun } = measured.costs;
    // Of 6 partitions on 3 masters the busiest holds 2: a third of the runs; the instances share the engine's CPU.
    expect(rows.map((v: { setup: string }) => v.setup)).toEqual(
      Array(4).fill('3 masters, 3 instances, 6 partitions, 3,000 runs/s'),
    );
    const [runs, redis, busiest, summed] = rows;
    expect(runs.model).toBeCloseTo(1000);
    expect(runs.measured).toBeCloseTo(1080);
    expect(runs.difference).toBeCloseTo(-80 / 1080);
    expect(redis.model).toBeCloseTo((100 * redisUsPerRun * 1000) / 1e6);
    expect(redis.measured).toBe(7);
    expect(busiest.model).toBeCloseTo((100 * engineUsPerRun * 1000) / 1e6);
    expect(busiest.measured).toBe(12);
    expect(summed.model).toBeCloseTo((100 * engineUsPerRun * 3000) / 1e6);
    expect(summed.measured).toBe(33);
    const markdown = renderMarkdown(measured);
    expect(markdown).toContain('| 3 masters, 3 instances, 6 partitions, 3,000 runs/s | runs/s on the busiest master');
    expect(markdown).toContain(
      'Idle cost of 3 instances on 3 masters (scenario 15, 10,000 tasks, none due): 1 partition 5.5 commands/s ' +
        '(per master 0.5 / 4.5 / 0.5), Redis 0.6 % in all; 6 partitions 6.5 commands/s (per master 2 / 2.5 / 2)',
    );
    expect(markdown).not.toContain('not measured yet');

    // Not run (or skipped where redis-cli is missing): one row says so, and the idle line too.
    const withoutPartitions = Object.fromEntries(Object.entries(bench.scenarios).filter(([id]) => id !== 'partitions'));
    for (const scenarios of [
      withoutPartitions,
      { ...withoutPartitions, partitions: { params: partitions.params, skipped: 'redis-cli not found' } },
    ]) {
      const notRun = report({ ...bench, scenarios });
      const last = notRun.validation.at(-1);
      expect(last).toMatchObject({ setup: '3 masters, 3 instances, 6 partitions', model: null, measured: null });
      const text = renderMarkdown(notRun);
      expect(text).toContain('not measured yet: scenario 15 (`npm run bench -- partitions`) has not been run');
      expect(text).toContain(
        'Idle cost with more than one partition (3 instances on 3 masters, 6 partitions): not measured yet',
      );
      expect(text).toMatch(/\d+ of \d+ rows within ± 30 %; 1 not measured yet\./);
    }
  });

  it('docs/scaling.md shows the tables the CLI prints from docs/benchmarks.json', () => {
    const doc = readFileSync(SCALING_MD, 'utf8');
    expect(doc, 'regenerate: node tools/capacity-model.mjs --write').toBe(
      withTables(doc, renderMarkdown(reportOf(BENCHMARKS_JSON))),
    );
    expect(withTables('a\n<!-- capacity-model:begin -->\nold\n<!-- capacity-model:end -->\nb', 'new')).toBe(
      'a\n<!-- capacity-model:begin -->\n\nnew\n\n<!-- capacity-model:end -->\nb',
    );
  });
});
