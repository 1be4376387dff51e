import type { Heartbeat, HeartbeatLoad, HeartbeatReport, HeartbeatTransport } from './heartbeat.js';
import { realTimers, type EngineTimers, type TimerHandle } from './timers.js';

/** Beats on the main thread's event loop (the in-process driver; Redis options a thread cannot receive). */
export class InLoopHeartbeat implements HeartbeatTransport {
  readonly offThread = false;
  private timer?: TimerHandle;
  private load?: HeartbeatLoad;
  private beating = false;
  private lastSuccess = 0;
  private onReport: (report: HeartbeatReport) => void = () => undefined;

  constructor(
    private readonly heartbeat: Heartbeat,
    private readonly intervalMs: number,
    private readonly timers: EngineTimers = realTimers,
  ) {}

  start(onReport: (report: HeartbeatReport) => void): void {
    this.onReport = onReport;
    this.timers.clearInterval(this.timer);
    this.timer = this.timers.setInterval(() => void this.beat(), this.intervalMs);
    void this.beat();
  }

  update(load: HeartbeatLoad): void {
    this.load = load;
  }

  lastSuccessAt(): number {
    return this.lastSuccess;
  }

  async stop(): Promise<void> {
    this.timers.clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One beat (also called directly by tests). */
  async beat(): Promise<void> {
    if (this.beating || !this.load) return;
    this.beating = true;
    try {
      const report = await this.heartbeat.beat(this.load);
      if (!report) return;
      this.lastSuccess = report.sentAt;
      this.onReport(report);
    } catch {
      // Redis unreachable: reported by the connection layer; leases are renewed on the next beat.
    } finally {
      this.beating = false;
    }
  }
}
