import type { TaskManagerOrchestrator } from '../../libs/task-manager/src/engine/task-manager.orchestrator.js';

type Sized = ReadonlyMap<unknown, unknown>;

/** The private parts of an orchestrator whose size the memory invariant bounds. */
interface Internals {
  parts: {
    consumer: { held: Sized; toHandBack: Sized; finished: Sized };
    dynamicTasks: { localChanges: Sized };
  };
}

/** An instance's internal maps (read through its private fields: the simulator only looks at their sizes). */
export interface EngineMaps {
  held: Sized;
  toHandBack: Sized;
  finished: Sized;
  localChanges: Sized;
}

/** The maps of `orchestrator` (each is made once with it: one look-up per instance, not per step). */
export function engineInternals(orchestrator: TaskManagerOrchestrator): EngineMaps {
  const { consumer, dynamicTasks } = (orchestrator as unknown as Internals).parts;
  return {
    held: consumer.held,
    toHandBack: consumer.toHandBack,
    finished: consumer.finished,
    localChanges: dynamicTasks.localChanges,
  };
}
