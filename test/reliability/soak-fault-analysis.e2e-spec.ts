/**
 * The soak's verdicts on its own faults: a fault's analysis must blame the engine only for what the engine
 * did wrong (the 20-minute soak of 2026-12-02 reported a long run "aborted by a SIGTERM, never ran again"
 * that may well have finished within the shutdown timeout).
 */
import { analyzeBackoff } from '../../soak/analysis/backoff.mjs';
import { accountSlots } from '../../soak/analysis/slots.mjs';
import { sigtermLongFault } from '../../soak/fault-sigterm-long.mjs';

const at = 1_000_000;
const run = { task: 'long-1', slot: at - 12_000, attempt: 1 };

describe('soak fault analysis: sigterm-long', () => {
  it('a long run that finished within the shutdown timeout is not expected to run again', () => {
    const verdict = sigtermLongFault.analyze({
      faults: [{ n: 1, kind: 'sigterm-long', at, pid: 10, exitMs: 3000, inFlight: [run] }],
      executions: [{ ...run, pid: 10, start: at - 11_900, end: at + 2_500, aborted: false }],
    });
    expect(verdict).toMatchObject({ finishedInTime: 1, longRunsAborted: 0, notReRun: [], failures: [] });
  });

  it('a long run aborted by the SIGTERM must run again elsewhere, or the fault fails', () => {
    const aborted = { ...run, pid: 10, start: at - 11_900, end: at + 3_000, aborted: true };
    const lost = sigtermLongFault.analyze({
      faults: [{ n: 1, kind: 'sigterm-long', at, pid: 10, inFlight: [run] }],
      executions: [aborted],
    });
    expect(lost.notReRun).toEqual([{ fault: 1, ...run }]);
    expect(lost.failures).toHaveLength(1);

    const reRun = sigtermLongFault.analyze({
      faults: [{ n: 1, kind: 'sigterm-long', at, pid: 10, inFlight: [run] }],
      executions: [aborted, { ...run, pid: 11, start: at + 3_100 }],
    });
    expect(reRun).toMatchObject({ longRunsAborted: 1, reRun: 1, maxReRunAfterMs: 3_100, failures: [] });
  });

  it('a long run whose process died before it ended (no end seen) must run again elsewhere', () => {
    const verdict = sigtermLongFault.analyze({
      faults: [{ n: 1, kind: 'sigterm-long', at, pid: 10, inFlight: [run] }],
      executions: [{ ...run, pid: 10, start: at - 11_900 }],
    });
    expect(verdict.failures).toHaveLength(1);
  });
});

describe('soak slot accounting: why a slot was missed', () => {
  const slot = 1_796_211_720_000;
  const perSlotOf = (runs: Execution[]) => new Map([[`long-1|${slot}`, runs]]);
  type Execution = Parameters<typeof accountSlots>[1]['perSlot'] extends Map<string, (infer E)[]> ? E : never;
  const causeOf = (runs: Execution[], opts: { killedAt?: number; wipes?: number[]; removedAt?: number }) =>
    accountSlots(
      {
        analysisFrom: slot - 500,
        analysisTo: slot + 500,
        mix: {
          tasks: new Map([
            [
              'long-1',
              {
                cron: `${(slot / 1000) % 60} * * * * *`,
                category: 'long',
                highPriority: false,
                removedAt: opts.removedAt,
              },
            ],
          ]),
        },
        dynamic: new Map(),
        faults: [],
        instances: [{ pid: 10, killedAt: opts.killedAt }],
      },
      {
        perSlot: perSlotOf(runs),
        perTask: new Map([['long-1', runs]]),
        windows: [],
        wipes: opts.wipes ?? [],
        backoffGates: new Map(),
        poisonDeath: () => undefined,
        leaseMs: 3000,
      },
    ).missedDetail.map((m) => m.cause);

  const started = { task: 'long-1', slot, attempt: 1, pid: 10, start: slot + 20 };

  it('a run kept through a wipe whose worker was killed later is explained by the wipe', () => {
    expect(causeOf([started], { wipes: [slot + 4_000], killedAt: slot + 9_000 })).toEqual([
      'in flight during a wipe, its worker killed later',
    ]);
    // Without the wipe, a killed worker's run must be recovered: its miss stays unexplained.
    expect(causeOf([started], { killedAt: slot + 9_000 })).toEqual(['unexplained']);
  });

  it('a run aborted by the deploy that removed its task is explained by that deploy', () => {
    const aborted = { ...started, end: slot + 6_000, aborted: true };
    expect(causeOf([aborted], { removedAt: slot + 5_000 })).toEqual(['aborted by the deploy that removed its task']);
    expect(causeOf([aborted], {})).toEqual(['unexplained']);
  });
});

describe('soak backoff analysis: which slots a failure gates', () => {
  it('gates a slot due while the failing run was still in flight, published after its failure', () => {
    // 20-minute soak of 2026-12-02, a 234 ms latency on the leader's link: fail-1's run of slot T-1 s started
    // 2.5 s late and failed at T+1.56 s; slots T and T+1 s, decided after that, were gated (retry_after =
    // T+9.8 s), which the analysis took for unexplained misses.
    const T = 1_796_220_754_000;
    const run = (slot: number, start: number, end: number) => ({
      task: 'fail-1',
      slot,
      attempt: 1,
      pid: 1,
      start,
      end,
      failed: true,
    });
    const runs = [run(T - 10_000, T - 9_954, T - 9_936), run(T - 1_000, T + 1_526, T + 1_557)];
    const { backoffGates } = analyzeBackoff(
      {
        settings: { options: { retryBackoffMultiplier: 2 } },
        mix: { tasks: new Map([['fail-1', { category: 'failing', retryBackoff: 8, retryBackoffMax: 8 }]]) },
      },
      { perTask: new Map([['fail-1', runs]]), perAttempt: new Map() },
      () => undefined,
      [],
    );
    const gated = (slot: number) => (backoffGates.get('fail-1') ?? []).some((g) => slot >= g.from && slot <= g.to);
    expect(gated(T)).toBe(true);
    expect(gated(T + 1_000)).toBe(true);
    expect(gated(T + 9_000)).toBe(true);
    expect(gated(T + 10_000)).toBe(false);
  });
});
