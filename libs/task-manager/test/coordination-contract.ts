/**
 * The behaviour contract of the coordination port, as a suite any driver runs:
 *
 *   describeCoordinationContract('memory', async (settings) => ({ port, peer, wipe, dispose }));
 *
 * Every test gets a fresh harness (fresh, empty backend state) and talks to the port directly, the way the
 * engine does. Timings are short (lease TTLs of a few hundred ms) so the suite stays fast.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CoordinationPort } from '../src/engine/coordination.port.js';
import { completionContract } from './contract/completion.contract.js';
import { dynamicUpdateContract } from './contract/dynamic-update.contract.js';
import { runKwargsContract } from './contract/run-kwargs.contract.js';
import { leadershipContract } from './contract/leadership.contract.js';
import { partitionsContract, threePartitionsContract } from './contract/partitions.contract.js';
import { registryContract } from './contract/registry.contract.js';
import { runQueueContract } from './contract/run-queue.contract.js';
import { scheduleContract } from './contract/schedule.contract.js';
import { taskSetsContract } from './contract/task-sets.contract.js';
import { CONTRACT_SETTINGS, CONTRACT_TESTS, type ContractContext, type ContractSettings } from './contract/helpers.js';

export { CONTRACT_TESTS, type ContractSettings } from './contract/helpers.js';

/** One driver instance under test, on a backend state of its own. */
export interface CoordinationHarness {
  /** The driver under test, connected. */
  readonly port: CoordinationPort;
  /** A second driver (another instance, `workerId`) on the same backend state, connected. */
  peer(workerId: string): Promise<CoordinationPort>;
  /** Wipes the whole backend state, like FLUSHALL (the drivers stay connected). */
  wipe(): Promise<void>;
  /** Closes every driver it built and removes the backend state. */
  dispose(): Promise<void>;
}

/** Builds a harness for one test. */
export type CoordinationFactory = (settings: ContractSettings) => Promise<CoordinationHarness>;

/** Options of {@link describeCoordinationContract}. */
export interface ContractOptions {
  /**
   * Tests the driver is known to fail (title -> the failure): each runs expecting exactly that failure, so the
   * suite stays green while it lasts and turns red once it is fixed, or when the test fails another way (an
   * `it.fails` would pass on any error, a typo or a timeout included). Reserved for confirmed driver bugs.
   */
  readonly knownFailures?: Readonly<Record<string, KnownFailure>>;
  /**
   * The driver honours `ContractSettings.partitions`: the suite also runs its three-partition section, each
   * test on a harness built with `partitions: 3`.
   */
  readonly partitioned?: boolean;
}

/** A confirmed driver bug: why, and the error the test fails with while it lasts. */
export interface KnownFailure {
  readonly reason: string;
  /** Matches the message of the error the test throws (an assertion's message, say). */
  readonly failure: RegExp;
}

/** Defines the contract tests of the coordination port against the driver `factory` builds. */
export function describeCoordinationContract(
  name: string,
  factory: CoordinationFactory,
  { knownFailures = {}, partitioned = false }: ContractOptions = {},
): void {
  const unknown = Object.keys(knownFailures).filter((title) => !Object.values(CONTRACT_TESTS).includes(title as never));
  if (unknown.length > 0) throw new Error(`knownFailures names no contract test: ${unknown.join('; ')}`);
  describe(`coordination contract: ${name}`, () => {
    let current: CoordinationHarness | undefined;
    let settings: ContractSettings = CONTRACT_SETTINGS;
    const context: ContractContext = {
      get harness() {
        if (!current) throw new Error('no harness: used outside a test');
        return current;
      },
      get port() {
        return context.harness.port;
      },
      it: (title, fn) => {
        const known = knownFailures[title];
        if (!known) return it(title, fn);
        it(`${title} [known failure: ${known.reason}]`, async () => {
          await expect(fn()).rejects.toThrow(known.failure);
        });
      },
    };

    beforeEach(async () => {
      current = await factory(settings);
    });

    afterEach(async () => {
      const harness = current;
      current = undefined;
      await harness?.dispose();
    });

    describe('leadership', () => leadershipContract(context));
    describe('schedule', () => scheduleContract(context));
    describe('run queue', () => runQueueContract(context));
    describe('completion', () => completionContract(context));
    describe('state, dynamic tasks, notices, workers', () => registryContract(context));
    describe('task sets', () => taskSetsContract(context));
    describe('dynamic task updates, tasks declared disabled', () => dynamicUpdateContract(context));
    describe('runs with their own kwargs', () => runKwargsContract(context));
    describe('partitions', () => partitionsContract(context));
    if (partitioned) {
      describe('three partitions', () => {
        beforeAll(() => {
          settings = { ...CONTRACT_SETTINGS, partitions: 3 };
        });
        afterAll(() => {
          settings = CONTRACT_SETTINGS;
        });
        threePartitionsContract(context);
      });
    }
  });
}
