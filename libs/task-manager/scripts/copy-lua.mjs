// Copies the Lua scripts next to the compiled JavaScript (tsc only emits .js / .d.ts).
import { cpSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(join(root, 'dist/redis/lua'), { recursive: true });
cpSync(join(root, 'src/redis/lua'), join(root, 'dist/redis/lua'), { recursive: true });
