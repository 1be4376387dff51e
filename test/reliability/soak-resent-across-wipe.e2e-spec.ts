/**
 * A one-minute chaos soak with only the two faults in which a script is sent again after a FLUSHALL that came
 * between its first run and the re-sending (soak/fault-resent-across-wipe.mjs): the simulator's findings 4
 * and 5 (docs/simulation.md) on real Redis and real processes. `lost-failure-then-wipe`: a failure that
 * queued a retry, recorded with its reply lost, the link frozen while the retry ran elsewhere, FLUSHALL, the
 * failure sent again: the retry must run once. `wipe-register-resent`: FLUSHALL, the reply to the schedule's
 * restoring registration lost and the command sent again ("0 restored"): the slots must resume within a
 * reconciliation interval (and a failover) of the wipe. Each assertion also checks that the fault happened.
 */
import { acceptance, renderMarkdown } from '../../soak/report.mjs';
import { runSoak, type SoakReport } from '../../soak/soak.mjs';
import { ensureLibraryFresh } from '../support/library-build.js';

describe('chaos soak, 60 seconds: scripts sent again across a wipe', () => {
  let report: SoakReport;

  beforeAll(async () => {
    ensureLibraryFresh();
    report = await runSoak({
      minutes: 1,
      instances: 3,
      tasks: 60,
      highPriority: true,
      warmupMs: 5000,
      longMs: [2000, 4000],
      tailMs: 8000,
      faultMarginMs: 6000,
      faultEveryMs: [1000, 2000],
      faults: ['lost-failure-then-wipe', 'wipe-register-resent'],
    });
  }, 180_000);

  it('swallowed the reply to a failure that queued a retry, and the retry ran once', () => {
    const analysis = report.extraFaults['lost-failure-then-wipe'];
    expect(analysis).toBeDefined();
    expect(analysis.swallowed).toBeGreaterThan(0);
    expect(analysis.failures).toEqual([]);
  });

  it('swallowed the reply to the schedule restored after a wipe, and the slots resumed within the bound', () => {
    const analysis = report.extraFaults['wipe-register-resent'];
    expect(analysis).toBeDefined();
    expect(analysis.swallowed).toBeGreaterThan(0);
    expect(analysis.failures).toEqual([]);
  });

  it('executed no (task, slot, attempt) twice, and recorded no outcome twice', () => {
    expect(report.duplicates).toEqual([]);
    expect(report.final?.recordedDuplicates).toBe(0);
  });

  it('passes the acceptance criteria of the full soak', () => {
    const verdict = acceptance(report);
    expect(verdict.failures, renderMarkdown(report)).toEqual([]);
  });
});
