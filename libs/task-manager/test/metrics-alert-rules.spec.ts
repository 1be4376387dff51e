/**
 * The alert rules documented in docs/observability.md stay usable: the YAML block parses into Prometheus rule
 * groups, and every metric an expression names is one `TaskManagerMetricsModule` registers (renaming a metric
 * without updating the rules fails here), with label values the metrics really take.
 */
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { resolveMetricsOptions } from '../src/integrations/prometheus/resolve-metrics-options.js';
import { createMetricSet } from '../src/integrations/prometheus/task-manager-metric-set.js';

const DOC = new URL('../../../docs/observability.md', import.meta.url);

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** The YAML code blocks of the document. */
function yamlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

/** Every metric name the default metric set exposes (histograms with their series suffixes). */
function exposedNames(): Set<string> {
  const registry = new Registry();
  const none = async () => undefined;
  const values = {
    isLeader: () => 0,
    redisConnected: () => 0,
    tasksInBackoff: none,
    tasksOverdue: none,
    tasksDisabled: none,
    lastSuccess: none,
    runsPending: none,
  };
  const { names } = createMetricSet(resolveMetricsOptions({ registry }), values);
  const exposed = new Set<string>();
  for (const name of names) {
    exposed.add(name);
    if (registry.getSingleMetric(name)?.constructor.name === 'Histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) exposed.add(name + suffix);
  }
  return exposed;
}

describe('documented alert rules', () => {
  const blocks = yamlBlocks(readFileSync(DOC, 'utf8'));
  const rules = blocks.flatMap((block) => {
    const doc = load(block) as { groups: Array<{ name: string; rules: Rule[] }> };
    return doc.groups.flatMap((group) => group.rules);
  });

  it('parse into three complete rules', () => {
    expect(blocks).toHaveLength(1);
    expect(rules).toHaveLength(3);
    for (const rule of rules) {
      expect(rule.alert, JSON.stringify(rule)).toMatch(/^TaskManager[A-Za-z]+$/);
      expect(rule.expr.trim().length).toBeGreaterThan(0);
      expect(rule.labels.severity).toMatch(/^(warning|critical)$/);
      expect(rule.annotations.summary).toBeTruthy();
    }
  });

  it('name only metrics the module registers', () => {
    const exposed = exposedNames();
    const used = rules.flatMap((rule) => [...rule.expr.matchAll(/\btask_manager_\w+/g)].map((m) => m[0]));
    expect(used.length).toBeGreaterThanOrEqual(3);
    for (const name of used) expect(exposed, `${name} is not a metric`).toContain(name);
  });

  it('match label values the metrics take', () => {
    const allowed: Record<string, string[]> = {
      status: ['success', 'failed', 'timeout'],
      state: ['queued', 'delivered'],
      priority: ['high', 'normal'],
    };
    for (const rule of rules) {
      for (const [, label, values] of rule.expr.matchAll(/(\w+)=~?"([^"]*)"/g)) {
        expect(Object.keys(allowed), `label ${label} in ${rule.alert}`).toContain(label);
        for (const value of values.split('|')) expect(allowed[label]).toContain(value);
      }
    }
  });
});
