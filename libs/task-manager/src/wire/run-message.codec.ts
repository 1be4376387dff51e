import type { RunKind, RunMessage } from '../engine/coordination.port.js';
import { decodeRunKwargs } from './one-off-entry.js';

/**
 * The run as a stream message (the one wire format of a run; `publish-runs` writes it): `t` task id, `s`
 * slot (ms), `a` attempt, `k` run kind, `g` data generation, `d` earlier deliveries whose worker stopped,
 * `w` the run's own kwargs as JSON text (a trigger with arguments; absent: the task's kwargs).
 * Reads a message's fields (a flat name/value list, as XREADGROUP and scripts return them).
 */
export function runFromFields(messageId: string, highPriority: boolean, fields: string[]): RunMessage {
  const value = (name: string) => {
    for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
    return undefined;
  };
  const kwargs = decodeRunKwargs(value('w'));
  return {
    ...(kwargs ? { kwargs } : {}),
    messageId,
    highPriority,
    taskId: value('t') ?? '',
    slot: Number(value('s')),
    attempt: Number(value('a') ?? 1) || 1,
    kind: (value('k') ?? 'scheduled') as RunKind,
    generation: value('g') ?? '',
    deliveries: (Number(value('d') ?? 0) || 0) + 1,
  };
}
