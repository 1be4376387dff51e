/**
 * The simulated network answers a re-sent call with its first run's result exactly for the calls whose Redis
 * script runs once per request (`ONCE_PER_REQUEST`, test/sim/network.ts): a script that starts or stops using
 * includes/request-once.lua must be reflected there, or the simulator models its re-send wrongly (seed 365064).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ONCE_PER_REQUEST } from './network.js';

const LUA = fileURLToPath(new URL('../../libs/task-manager/src/redis/lua/', import.meta.url));

/** Each script that runs once per request, and the port call that runs it (redis/*.ts). */
const CALL_OF_SCRIPT: Record<string, string> = {
  'create-dynamic-task-3.lua': 'dynamicTasks.create',
  'delete-task-4.lua': 'dynamicTasks.remove',
  'hand-back-runs-3.lua': 'runs.handBack',
  'trigger-tasks-1.lua': 'state.trigger',
  'update-dynamic-task-4.lua': 'dynamicTasks.update',
};

describe('the simulated network', () => {
  it('answers a re-sent call from its first run for every script that runs once per request, and no other', () => {
    const scripts = readdirSync(LUA)
      .filter((file) => file.endsWith('.lua'))
      .filter((file) => readFileSync(LUA + file, 'utf8').includes('--- @include "request-once"'))
      .sort();
    expect(scripts).toEqual(Object.keys(CALL_OF_SCRIPT).sort());
    expect([...ONCE_PER_REQUEST.keys()].sort()).toEqual(Object.values(CALL_OF_SCRIPT).sort());
  });

  it('keeps what each script keeps: every hand-back and trigger, a create, update or delete that changed something', () => {
    const kept = (call: string, result: unknown) => ONCE_PER_REQUEST.get(call)!(result);
    expect(kept('runs.handBack', [false])).toBe(true);
    expect(kept('state.trigger', undefined)).toBe(true);
    expect([kept('dynamicTasks.create', 'created'), kept('dynamicTasks.create', 'exists')]).toEqual([true, false]);
    expect([kept('dynamicTasks.update', 'updated'), kept('dynamicTasks.update', 'changed')]).toEqual([true, false]);
    expect([kept('dynamicTasks.remove', '{"x":1}'), kept('dynamicTasks.remove', null)]).toEqual([true, false]);
  });
});
