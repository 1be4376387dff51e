import type { TaskDefinition } from '../registry/task-definition.js';
import type { RunMessage } from './coordination.port.js';
import { runTag } from '../wire/run-tag.js';

/**
 * Key of a held run: stream ids are per stream, so a high- and a normal-priority run published in the same
 * millisecond share an id; the priority tells them apart, and so does the partition (`@<index>`, partitions
 * above 0 only) when the driver's ids are per partition.
 */
export function heldKey(run: RunMessage): string {
  const tag = runTag(run.highPriority, run.messageId);
  return run.partition ? `${tag}@${run.partition}` : tag;
}

/** A run this worker holds: delivered to it, and once started, executing. */
export interface HeldRun {
  readonly run: RunMessage;
  readonly task?: TaskDefinition;
  started: boolean;
  /** Local time at which it was delivered here: its lease runs at least from then. */
  readonly heldSince: number;
  /**
   * Set when the run is no longer this worker's to record: its lease was lost (re-published elsewhere), or
   * could not be renewed in time (then `expired` too). Its outcome is not recorded.
   */
  lost: boolean;
  /** The lease could not be renewed in time: the run was given up here and must be handed back. */
  expired?: boolean;
  /** Its data was wiped (FLUSHALL, Redis restarted empty): nobody else has it; it stays this worker's. */
  vanished?: boolean;
  /** Its outcome is being recorded: a heartbeat that finds its message acknowledged is not a loss. */
  completing?: boolean;
  readonly controller: AbortController;
  /** Settles when the handler ended and the outcome was recorded. */
  done?: Promise<void>;
}
