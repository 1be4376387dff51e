/**
 * The deployment layout the multi-instance property tests run in (issue 15: exactly-once, failover, crash
 * recovery, fencing and chaos, with one partition and with six, on standalone Redis and on a 3-master Redis
 * Cluster). The default is the README's `npm test`: standalone Redis, the partition count each test file
 * states. `npm run test:layouts` re-runs those files with:
 *
 * - `TM_TEST_TOPOLOGY=cluster`: the workers coordinate through a local 3-master Redis Cluster instead of one
 *   server;
 * - `TM_TEST_PARTITIONS=N`: tests that take the partition count from the layout (the chaos soak) run with N.
 *
 * This module is the one home of those variables' names and of their validation.
 */
export type Topology = 'standalone' | 'cluster';

export interface TestLayout {
  topology: Topology;
  /** The partition count of tests that take it from the layout (1 unless `TM_TEST_PARTITIONS` says). */
  partitions: number;
}

export const TOPOLOGY_ENV = 'TM_TEST_TOPOLOGY';
export const PARTITIONS_ENV = 'TM_TEST_PARTITIONS';

/** The layout of this run, from the environment; a bad value throws a message naming the variable. */
export function testLayout(env: NodeJS.ProcessEnv = process.env): TestLayout {
  const topology = env[TOPOLOGY_ENV] || 'standalone';
  if (topology !== 'standalone' && topology !== 'cluster') {
    throw new Error(`${TOPOLOGY_ENV} is "${topology}": use "standalone" (the default) or "cluster".`);
  }
  const raw = env[PARTITIONS_ENV] || '1';
  const partitions = Number(raw);
  if (!/^\d+$/.test(raw) || partitions < 1 || partitions > 256) {
    throw new Error(`${PARTITIONS_ENV} is "${raw}": use a whole number from 1 to 256.`);
  }
  return { topology, partitions };
}

/** A short name of the layout for test titles and logs, e.g. `standalone, 1 partition`. */
export function describeLayout(layout: TestLayout = testLayout()): string {
  return `${layout.topology}, ${layout.partitions} partition${layout.partitions === 1 ? '' : 's'}`;
}

/**
 * Whether a test file written for `partitions` partitions runs in this layout. The files of one partition run
 * in every layout that lists them; a file of several (`partitions: 6`) runs only where the layout has that
 * count (`npm run test:layouts`: p6, cluster-p6), so that `npm test` runs each property once.
 */
export function runsWithPartitions(partitions: number, layout: TestLayout = testLayout()): boolean {
  return partitions === 1 || layout.partitions === partitions;
}
