/**
 * The argument layouts of the multi-item scripts (src/wire/script-args.ts) and the Lua scripts that read
 * them (`readItems` of lua/includes/item-args.lua) agree: same ARGV index of the count, same field names in
 * the same order, same list. The contract suite proves the behaviour on Redis; this names the mismatch.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as layouts from '../../src/wire/script-args.js';
import {
  flag,
  PUBLISH_RUNS_ARGS,
  RENEW_PARTITION_RUNS_ARGS,
  RENEW_RUNS_ARGS,
  SCRIPT_ARGS,
  START_RUNS_ARGS,
  SWEEP_PARTITION_ARGS,
} from '../../src/wire/script-args.js';

const LUA = fileURLToPath(new URL('../../src/redis/lua/', import.meta.url));
const lua = (file: string) => readFileSync(LUA + file, 'utf8');

/** The `readItems(at, { fields }, list)` calls of a script. */
function readItemsCalls(source: string): Array<{ at: number; fields: string[]; list?: string }> {
  return [...source.matchAll(/readItems\((\d+), \{([^}]*)\}(?:, '(\w+)')?\)/g)].map(([, at, fields, list]) => ({
    at: Number(at),
    fields: [...fields.matchAll(/'(\w+)'/g)].map(([, name]) => name),
    list,
  }));
}

describe('wire: script argument layouts', () => {
  it.each(SCRIPT_ARGS.map((layout) => [layout.script, layout] as const))(
    '%s reads its items with the layout declared in TypeScript, and its header cites it',
    (script, layout) => {
      const source = lua(script);
      expect(source).toContain('--- @include "item-args"');
      expect(readItemsCalls(source)).toEqual([
        { at: layout.countIndex, fields: [...layout.fields], list: layout.list },
      ]);
      const name = Object.entries(layouts).find(([, value]) => value === layout)![0];
      expect(source).toContain(`layout ${name} in src/wire/script-args.ts`);
      expect(source).toContain(`ARGV[${layout.countIndex}] `);
    },
  );

  it('every script that reads items has a layout, and none indexes items by a hand-written stride', () => {
    const scripts = readdirSync(LUA).filter((name) => name.endsWith('.lua'));
    const reading = scripts.filter((name) => readItemsCalls(lua(name)).length > 0);
    expect(reading.sort()).toEqual(SCRIPT_ARGS.map((layout) => layout.script).sort());
    for (const name of scripts) expect(lua(name), name).not.toMatch(/i \* \d+/);
  });

  it('encodes the head, the count, then each item in field order (and a list as its length and values)', () => {
    const run = {
      taskId: 'g/t',
      priority: 'h',
      messageId: '1-0',
      allowParallel: flag(false),
      dynamic: flag(true),
      slot: 1000,
      attempt: 2,
      kind: 'retry',
      generation: '17.5',
      leaseUntil: '',
      kwargs: '{"to":"ops"}',
    };
    const head = { taskStatePrefix: 'p:', leaseTtlMs: 30_000, group: 'svc', consumer: 'w-1' };
    expect(START_RUNS_ARGS.encode(head, [run, { ...run, messageId: '2-0' }])).toEqual(
      [
        ['p:', 30_000, 'svc', 'w-1', 2],
        ['g/t', 'h', '1-0', '0', '1', 1000, 2, 'retry', '17.5', '', '{"to":"ops"}'],
        ['g/t', 'h', '2-0', '0', '1', 1000, 2, 'retry', '17.5', '', '{"to":"ops"}'],
      ].flat(),
    );
    const item = {
      source: 's',
      taskId: 'g/t',
      expected: '1000',
      nextSlot: 3000,
      priority: 'n',
      allowParallel: '1',
      attempt: 1,
      kind: 'scheduled',
    };
    const publishHead = { token: 'w|1', nowMs: 5000, taskStatePrefix: 'p:' };
    expect(
      PUBLISH_RUNS_ARGS.encode(publishHead, [
        { ...item, slots: [1000, 2000] },
        { ...item, slots: [] },
      ]),
    ).toEqual(
      [
        ['w|1', 5000, 'p:', 2],
        ['s', 'g/t', '1000', 3000, 'n', '1', 1, 'scheduled', 2, 1000, 2000],
        ['s', 'g/t', '1000', 3000, 'n', '1', 1, 'scheduled', 0],
      ].flat(),
    );
    expect(START_RUNS_ARGS.encode(head, [])).toEqual(['p:', 30_000, 'svc', 'w-1', 0]);
  });

  it("a partition's scripts: the renewal's runs as renew-runs-6's, without the description; the sweep's workers", () => {
    expect(RENEW_PARTITION_RUNS_ARGS.fields).toEqual(RENEW_RUNS_ARGS.fields);
    expect(RENEW_PARTITION_RUNS_ARGS.head).toEqual(RENEW_RUNS_ARGS.head.filter((name) => name !== 'description'));
    const head = {
      token: 'w|1',
      graceMs: 60_000,
      cursor: '0',
      count: 100,
      taskSetPrefix: 'p:set:',
      taskStatePrefix: 'p:task:',
      historyPrefix: 'p:runs:',
    };
    const workers = [
      { workerId: 'w-1', live: flag(true) },
      { workerId: 'w-2', live: flag(false) },
    ];
    expect(SWEEP_PARTITION_ARGS.encode(head, workers)).toEqual([
      'w|1',
      60_000,
      '0',
      100,
      'p:set:',
      'p:task:',
      'p:runs:',
      2,
      'w-1',
      '1',
      'w-2',
      '0',
    ]);
  });
});
