// The demo app's dynamic-task API (group Mix, function `mixfn`) as the soak's dynamic faults use it, and the
// soak's record of a dynamic task (`soak.dynamic`: name -> { cron, createdAt, deletedAt, wipedAt, version,
// previous }). A task deleted and created again under its name keeps its earlier lives in `previous`, so that
// the slot accounting (analysis/slots.mjs) still counts the slots each life owed.
import { setTimeout as sleep } from 'node:timers/promises';

/** The API path of one dynamic task of the mix (DELETE, PATCH). */
export const taskPath = (name) => `/tasks?task_group_name=Mix&task_name=${encodeURIComponent(name)}`;

/** The body of POST /tasks: `mixfn` lasting `ms`, reporting version `v` in its run events. */
export const dynamicTaskBody = (name, cron, ms, v) => ({
  task_group_name: 'Mix',
  function_name: 'mixfn',
  cron_expression: cron,
  name,
  kwargs: { ms, v },
});

/**
 * Creates a dynamic task (version 1) of `cron` through `via` and waits (5 s at most) until `knownTo` lists it.
 * Returns its name, or undefined when the request failed (recorded as a dynamic-task error).
 */
export async function createDynamicTask(soak, via, knownTo, cron) {
  const name = `dyn_${++soak.dynamicCounter}`;
  const requestedAt = Date.now();
  const res = await soak.api(via, 'POST', '/tasks', dynamicTaskBody(name, cron, soak.random.int(0, 50), 1));
  if (res.status !== 200) {
    soak.httpErrors.push({ op: 'create', name, status: res.status, body: res.body, at: Date.now() });
    return undefined;
  }
  soak.dynamic.set(name, { cron, createdAt: Date.now(), requestedAt, via: via.pid, version: 1 });
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const list = await soak.api(knownTo, 'GET', `/tasks?task_group_name=Mix&name=${encodeURIComponent(name)}`);
    if (list.status === 200 && list.body?.length === 1) break;
    await sleep(25);
  }
  return name;
}

/** Records `name` created again (after its deletion) as `entry`; its earlier lives move to `previous`. */
export function recreateDynamic(soak, name, entry) {
  const { previous = [], ...last } = soak.dynamic.get(name) ?? {};
  soak.dynamic.set(name, { ...entry, previous: last.cron === undefined ? previous : [...previous, last] });
}
