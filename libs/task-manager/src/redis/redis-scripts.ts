import { LUA_SCRIPTS } from './lua-scripts.generated.js';
import type { RedisClient } from './redis-client.js';

/** Version carried by the ioredis command names, so two library versions never share a script name. */
const SCRIPT_NAMESPACE = 'nestTaskManager_v1_';

/** Lua scripts of the engine, one per `lua/<name>-<numKeys>.lua` file. */
const SCRIPT_FILES = {
  acquireLeader: 'acquire-leader-2.lua',
  renewLeader: 'renew-leader-2.lua',
  releaseLeader: 'release-leader-1.lua',
  registerTasks: 'register-tasks-3.lua',
  createDynamicTask: 'create-dynamic-task-3.lua',
  updateDynamicTask: 'update-dynamic-task-4.lua',
  publishRuns: 'publish-runs-6.lua',
  reclaimRuns: 'reclaim-runs-3.lua',
  startRuns: 'start-runs-5.lua',
  renewRuns: 'renew-runs-6.lua',
  renewPartitionRuns: 'renew-partition-runs-4.lua',
  completeRuns: 'complete-runs-5.lua',
  triggerTasks: 'trigger-tasks-1.lua',
  deleteTask: 'delete-task-4.lua',
  clearHistory: 'clear-history-1.lua',
  readStates: 'read-states-1.lua',
  requeueRun: 'requeue-run-2.lua',
  unreadRuns: 'unread-runs-1.lua',
  declareTaskSet: 'declare-task-set-3.lua',
  sweepOrphans: 'sweep-orphans-8.lua',
  sweepPartition: 'sweep-partition-7.lua',
  handBackRuns: 'hand-back-runs-3.lua',
  touchWorker: 'touch-worker-2.lua',
  markLayout: 'mark-layout-1.lua',
  // A repartition's (nestjs-task-manager/ops), never the engine's:
  swapLayoutMarker: 'swap-layout-marker-1.lua',
  clearRunStream: 'clear-run-stream-1.lua',
  raiseEpoch: 'raise-epoch-1.lua',
  renewLock: 'renew-lock-1.lua',
  moveTasksIn: 'move-tasks-in-5.lua',
  moveTasksOut: 'move-tasks-out-4.lua',
} as const;

export type ScriptName = keyof typeof SCRIPT_FILES;

const sources = new Map<ScriptName, { lua: string; numberOfKeys: number }>();

function source(name: ScriptName): { lua: string; numberOfKeys: number } {
  let script = sources.get(name);
  if (!script) {
    const file = SCRIPT_FILES[name];
    const numberOfKeys = Number(/-(\d+)\.lua$/.exec(file)![1]);
    // Embedded at build time (scripts/embed-assets.mjs): nothing is read from disk, so bundled apps work.
    const lua = LUA_SCRIPTS[file];
    if (lua === undefined)
      throw new Error(`Lua script ${file} is not embedded: rebuild the library (npm run build:lib)`);
    script = { lua, numberOfKeys };
    sources.set(name, script);
  }
  return script;
}

/** A script argument (a Buffer: binary data, e.g. a DUMP payload). */
type Arg = string | number | Buffer;

/**
 * Runs the engine's Lua scripts on one client. Scripts are registered with ioredis `defineCommand`,
 * which sends EVALSHA and falls back to EVAL on NOSCRIPT (e.g. after a Redis restart).
 */
export class RedisScripts {
  constructor(private readonly client: RedisClient) {
    for (const name of Object.keys(SCRIPT_FILES) as ScriptName[]) {
      const { lua, numberOfKeys } = source(name);
      client.defineCommand(SCRIPT_NAMESPACE + name, { lua, numberOfKeys });
    }
  }

  /** Runs script `name` with its keys and arguments. */
  run<T = unknown>(name: ScriptName, keys: string[], args: Arg[]): Promise<T> {
    const command = (this.client as unknown as Record<string, (...a: Arg[]) => Promise<T>>)[SCRIPT_NAMESPACE + name];
    return command.call(this.client, ...keys, ...args);
  }
}
