/**
 * The behaviour contract of the coordination port, as a suite any driver runs:
 *
 *   describeCoordinationContract('memory', async (settings) => ({ port, peer, wipe, dispose }));
 *
 * Every test gets a fresh harness (fresh, empty backend state) and talks to the port directly, the way the
 * engine does. Timings are short (lease TTLs of a few hundred ms) so the suite stays fast.
 */
import { afterEach, beforeEach, describe, it } from 'vitest';
import type { CoordinationPort } from '../src/engine/coordination.port.js';
import { completionContract } from './contract/completion.contract.js';
import { leadershipContract } from './contract/leadership.contract.js';
import { registryContract } from './contract/registry.contract.js';
import { runQueueContract } from './contract/run-queue.contract.js';
import { scheduleContract } from './contract/schedule.contract.js';
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
   * Tests the driver is known to fail (title -> reason): they run as `it.fails`, so the suite stays green
   * while the failure lasts and turns red once it is fixed. Reserved for confirmed driver bugs.
   */
  readonly knownFailures?: Readonly<Record<string, string>>;
}

/** Defines the contract tests of the coordination port against the driver `factory` builds. */
export function describeCoordinationContract(
  name: string,
  factory: CoordinationFactory,
  { knownFailures = {} }: ContractOptions = {},
): void {
  const unknown = Object.keys(knownFailures).filter((title) => !Object.values(CONTRACT_TESTS).includes(title as never));
  if (unknown.length > 0) throw new Error(`knownFailures names no contract test: ${unknown.join('; ')}`);
  describe(`coordination contract: ${name}`, () => {
    let current: CoordinationHarness | undefined;
    const context: ContractContext = {
      get harness() {
        if (!current) throw new Error('no harness: used outside a test');
        return current;
      },
      get port() {
        return context.harness.port;
      },
      it: (title, fn) => (title in knownFailures ? it.fails : it)(title, fn),
    };

    beforeEach(async () => {
      current = await factory(CONTRACT_SETTINGS);
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
  });
}
