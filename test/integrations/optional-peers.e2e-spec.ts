/**
 * The integrations and the HTTP layer stay optional: the main entry point never statically reaches
 * @nestjs/terminus, prom-client, @nestjs/event-emitter, @nestjs/swagger, class-validator, class-transformer,
 * the API's controllers and DTOs or the dashboard (an app without them, or without `api`, must not load
 * them), each subpath export points at its own entry point, and those packages are optional peers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const LIB = fileURLToPath(new URL('../../libs/task-manager/', import.meta.url));
const OPTIONAL_PEERS = ['@nestjs/terminus', 'prom-client', '@nestjs/event-emitter'];
/** Optional peers of the HTTP API: loaded only when the `api` option mounts it. */
const HTTP_PEERS = ['@nestjs/swagger', 'class-validator', 'class-transformer'];
const SUBPATHS = ['terminus', 'prometheus', 'event-emitter'];

/**
 * Every module specifier a TypeScript source loads when it is evaluated (static imports and re-exports;
 * `import type` is erased). With `dynamic`, also the `import('...')` calls (loaded later, on demand).
 */
function specifiersOf(source: string, dynamic: boolean): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/(?:^|[\s;])(?:import|export)\s(?!type\s)[^'"]*?from\s+['"]([^'"]+)['"]/g))
    found.push(match[1]);
  for (const match of source.matchAll(/(?:^|[\s;])import\s+['"]([^'"]+)['"]/g)) found.push(match[1]);
  // import('x'), and createRequire(...)('x') of an optional peer loaded on demand.
  if (dynamic) for (const match of source.matchAll(/(?:import|\))\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(match[1]);
  return found;
}

/**
 * The source files reachable from `entry` through relative imports, and the packages they import.
 * @param dynamic follow `import('...')` calls too
 */
function importGraph(entry: string, dynamic = true): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of specifiersOf(readFileSync(file, 'utf8'), dynamic)) {
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

  it('the main entry point loads no part of the HTTP layer until the api option asks for it', () => {
    const { files, packages } = importGraph(join(LIB, 'src/index.ts'), false);
    for (const peer of HTTP_PEERS) expect(packages).not.toContain(peer);
    const http = [...files].filter((f) => /\/(dashboard|api\/(dto|mappers))\/|controller\.ts$|wiring\.ts$/.test(f));
    expect(http).toEqual([]);
    // The lazily imported wiring does reach them: the check above can fail.
    const withApi = importGraph(join(LIB, 'src/index.ts'), true);
    for (const peer of HTTP_PEERS) expect(withApi.packages).toContain(peer);
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

  it('are exported as subpaths (typed for every module resolution) and declared as optional peer dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(LIB, 'package.json'), 'utf8')) as {
      exports: Record<string, Record<string, string>>;
      typesVersions: Record<string, Record<string, string[]>>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    // (`ops`: the offline operations, e.g. the repartition; no optional peer.)
    const entries: Record<string, string> = { api: 'api', testing: 'testing', ops: 'ops' };
    for (const subpath of [...SUBPATHS, 'swagger']) entries[subpath] = `integrations/${subpath}`;
    const exported = Object.keys(pkg.exports).filter((key) => key !== '.' && key !== './package.json');
    expect(exported.sort()).toEqual(
      Object.keys(entries)
        .map((subpath) => `./${subpath}`)
        .sort(),
    );
    for (const [subpath, dir] of Object.entries(entries)) {
      expect(pkg.exports[`./${subpath}`]).toEqual({
        types: `./dist/${dir}/index.d.ts`,
        import: `./dist/${dir}/index.js`,
        default: `./dist/${dir}/index.js`,
      });
      // moduleResolution "node" (CommonJS apps) ignores `exports`: typesVersions maps the subpath's types.
      expect(pkg.typesVersions['*'][subpath]).toEqual([`./dist/${dir}/index.d.ts`]);
      expect(existsSync(join(LIB, `src/${dir}/index.ts`))).toBe(true);
    }
    for (const peer of [...OPTIONAL_PEERS, ...HTTP_PEERS]) {
      expect(pkg.peerDependencies[peer]).toBeDefined();
      expect(pkg.peerDependenciesMeta[peer]).toEqual({ optional: true });
    }
  });
});
