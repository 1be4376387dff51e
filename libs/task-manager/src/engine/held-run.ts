import type { TaskDefinition } from '../registry/task-definition.js';
import type { RunMessage } from './coordination.port.js';

/** A run this worker holds: delivered to it, and once started, executing. */
export interface HeldRun {
  readonly run: RunMessage;
  readonly task?: TaskDefinition;
  started: boolean;
  /** Set when the lease was lost: the run was re-published elsewhere; its outcome is not recorded. */
  lost: boolean;
  readonly controller: AbortController;
  /** Settles when the handler ended and the outcome was recorded. */
  done?: Promise<void>;
}
