import type { TaskManagerOrchestrator } from '../../libs/task-manager/src/engine/task-manager.orchestrator.js';

/** The private parts of an orchestrator whose size the memory invariant bounds. */
interface Internals {
  parts: {
    consumer: { held: Map<unknown, unknown>; toHandBack: Map<unknown, unknown>; finished: Map<unknown, unknown> };
    dynamicTasks: { localChanges: Map<unknown, unknown> };
  };
}

/** Sizes of an instance's internal maps (read through its private fields: the simulator only looks). */
export function engineInternals(orchestrator: TaskManagerOrchestrator) {
  const { consumer, dynamicTasks } = (orchestrator as unknown as Internals).parts;
  return {
    held: consumer.held.size,
    toHandBack: consumer.toHandBack.size,
    finished: consumer.finished.size,
    localChanges: dynamicTasks.localChanges.size,
  };
}
