/**
 * The integrations stay optional: the main entry point never reaches @nestjs/terminus, prom-client or
 * @nestjs/event-emitter (users without them must not break), each subpath export points at its own entry
 * point, and the three packages are optional peer dependencies.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const LIB = fileURLToPath(new URL('../../libs/task-manager/', import.meta.url));
const OPTIONAL_PEERS = ['@nestjs/terminus', 'prom-client', '@nestjs/event-emitter'];
const SUBPATHS = ['terminus', 'prometheus', 'event-emitter'];

/** Every module specifier imported (statically or dynamically) by a TypeScript source. */
function specifiersOf(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g))
    found.push(match[1]);
  for (const match of source.matchAll(/(?:^|[\s;])import\s+['"]([^'"]+)['"]/g)) found.push(match[1]);
  for (const match of source.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(match[1]);
  return found;
}

/** The source files reachable from `entry` through relative imports, and the packages they import. */
function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of specifiersOf(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) {
        packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]);
        continue;
      }
      const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
      if (existsSync(target)) pending.push(target);
    }
  }
  return { files, packages };
}

describe('optional integrations', () => {
  it('are never imported by the main entry point', () => {
    const { files, packages } = importGraph(join(LIB, 'src/index.ts'));
    expect(files.size).toBeGreaterThan(20);
    for (const peer of OPTIONAL_PEERS) expect(packages).not.toContain(peer);
    expect([...files].filter((f) => f.includes('/integrations/'))).toEqual([]);
  });

  it('each needs only its own optional peer', () => {
    const expected: Record<string, string> = {
      terminus: '@nestjs/terminus',
      prometheus: 'prom-client',
      'event-emitter': '@nestjs/event-emitter',
    };
    for (const subpath of SUBPATHS) {
      const { packages } = importGraph(join(LIB, `src/integrations/${subpath}/index.ts`));
      expect(OPTIONAL_PEERS.filter((peer) => packages.has(peer))).toEqual([expected[subpath]]);
    }
  });

  it('are exported as subpaths and declared as optional peer dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(LIB, 'package.json'), 'utf8')) as {
      exports: Record<string, Record<string, string>>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    for (const subpath of SUBPATHS) {
      expect(pkg.exports[`./${subpath}`]).toEqual({
        types: `./dist/integrations/${subpath}/index.d.ts`,
        import: `./dist/integrations/${subpath}/index.js`,
        default: `./dist/integrations/${subpath}/index.js`,
      });
      expect(existsSync(join(LIB, `src/integrations/${subpath}/index.ts`))).toBe(true);
    }
    for (const peer of OPTIONAL_PEERS) {
      expect(pkg.peerDependencies[peer]).toBeDefined();
      expect(pkg.peerDependenciesMeta[peer]).toEqual({ optional: true });
    }
  });
});
