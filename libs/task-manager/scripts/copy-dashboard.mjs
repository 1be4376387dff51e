// Copies the dashboard's static assets (HTML, CSS, plain JavaScript modules, SVG) next to the compiled
// JavaScript (tsc only emits .js / .d.ts for TypeScript sources). Type declarations of the assets are for
// the tests only and are not copied.
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'dist/dashboard/assets');
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
cpSync(join(root, 'src/dashboard/assets'), target, {
  recursive: true,
  filter: (source) => !source.endsWith('.d.ts'),
});
