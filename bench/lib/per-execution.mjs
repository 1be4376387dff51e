// The one home of the per-execution CPU figures (issue 14): CPU time spent over a measurement window divided
// by the executions (handler starts) of that window, in µs. Used for the engine processes (from /proc) and
// for Redis (INFO cpu: used_cpu_user + used_cpu_sys, main thread and children).
import { round } from './stats.mjs';

/**
 * µs of CPU per execution: `cpuMicros` spent during a window in which `executions` runs started; null when
 * either is unknown or no run started.
 */
export function cpuPerExecutionUs(cpuMicros, executions) {
  if (cpuMicros === null || cpuMicros === undefined || !Number.isFinite(cpuMicros) || !(executions > 0)) return null;
  return round(cpuMicros / executions, 1);
}

/**
 * Both per-execution CPU figures of a window: the processes under test (their /proc CPU deltas summed) and
 * Redis (the INFO cpu delta, in seconds).
 */
export function perExecutionCpu({ processMicros, redisCpuSeconds, executions }) {
  const engine = processMicros.some((m) => m === null) ? null : processMicros.reduce((a, b) => a + b, 0);
  return {
    engineCpuUs: cpuPerExecutionUs(engine, executions),
    redisCpuUs: redisCpuSeconds === null ? null : cpuPerExecutionUs(redisCpuSeconds * 1e6, executions),
  };
}
