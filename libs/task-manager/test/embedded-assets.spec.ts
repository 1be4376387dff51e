/**
 * The generated modules embed the current .lua and dashboard asset files: in the source tree (what the
 * tests and the TypeScript build read) and in the built library (what is packed and what the multi-process
 * tests import), when it was built. Fails when one is stale: run `npm run build:lib`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectedModules } from '../scripts/embed-assets.mjs';

const LIB = fileURLToPath(new URL('..', import.meta.url));

/** The strings a generated module embeds, by file name, read from its text (TypeScript or compiled JS). */
function embedded(text: string): Record<string, string> {
  const body = /Object\.freeze\((\{[\s\S]*\})\);/.exec(text);
  if (!body) throw new Error('not a generated module');
  return JSON.parse(body[1].replace(/,\s*\}$/, '}')) as Record<string, string>;
}

describe('embedded Lua scripts and dashboard assets', () => {
  const modules = expectedModules();

  it('cover every script and asset', () => {
    const [lua, assets] = modules.map((module) => embedded(module.content));
    expect(Object.keys(lua).length).toBeGreaterThanOrEqual(15);
    expect(Object.keys(lua).every((name) => /^[a-z-]+-\d+\.lua$/.test(name))).toBe(true);
    expect(Object.keys(assets)).toEqual(expect.arrayContaining(['index.html', 'dashboard.js', 'dashboard.css']));
    expect(Object.keys(assets).some((name) => name.endsWith('.d.ts'))).toBe(false);
  });

  it.each(modules.map((module) => [module.path, module] as const))('%s is up to date in src/', (path, module) => {
    expect(readFileSync(join(LIB, path), 'utf8'), `${path} is stale: run npm run build:lib`).toBe(module.content);
  });

  it.each(modules.map((module) => [module.path, module] as const))(
    '%s is up to date in the built library',
    (path, module) => {
      const built = join(LIB, path.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js'));
      if (!existsSync(join(LIB, 'dist', 'index.js'))) return; // not built (npm test builds first)
      expect(existsSync(built), `${built} is missing: run npm run build:lib`).toBe(true);
      expect(embedded(readFileSync(built, 'utf8')), `${built} is stale: run npm run build:lib`).toEqual(
        embedded(module.content),
      );
    },
  );
});
