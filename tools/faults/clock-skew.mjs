// Preload that shifts this process's wall clock: `node --import ./tools/faults/clock-skew.mjs app.mjs` with
// TM_CLOCK_SKEW_MS=5000 makes Date.now() and `new Date()` run 5 s ahead (negative: behind), as on a host
// whose clock drifted. Timers and performance.now() keep the real, monotonic time, exactly as they do on
// such a host. The real time stays available as `globalThis.__realDateNow()` (for event timestamps).
const skew = Number(process.env.TM_CLOCK_SKEW_MS ?? 0);

if (Number.isFinite(skew) && skew !== 0) {
  const RealDate = globalThis.Date;
  const realNow = RealDate.now.bind(RealDate);
  class SkewedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(realNow() + skew);
      else super(...args);
    }

    static now() {
      return realNow() + skew;
    }
  }
  globalThis.__realDateNow = realNow;
  globalThis.Date = SkewedDate;
}
