// The machine and the versions a benchmark ran with.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem, availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseInfo } from './redis.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

function version(pkgPath) {
  try {
    return JSON.parse(readFileSync(`${root}${pkgPath}`, 'utf8')).version;
  } catch {
    return null;
  }
}

function cpuModel() {
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown';
}

function git() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--', 'libs/task-manager/src'], {
        cwd: root,
        encoding: 'utf8',
      }).trim() !== '';
    return dirty ? `${commit} (library sources modified)` : commit;
  } catch {
    return null;
  }
}

export async function environment(redis) {
  const server = parseInfo(await redis.info('server'));
  return {
    date: new Date().toISOString(),
    machine: {
      nproc: availableParallelism(),
      cpuModel: cpuModel(),
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      platform: `${process.platform} ${process.arch}`,
    },
    versions: {
      node: process.version,
      redisServer: server.redis_version,
      // Valkey also reports a redis_version (the Redis version it is compatible with): name the real server.
      server: server.valkey_version ? `Valkey ${server.valkey_version}` : `Redis ${server.redis_version}`,
      library: version('libs/task-manager/package.json'),
      libraryCommit: git(),
      bullmq: version('node_modules/bullmq/package.json'),
      cron: version('node_modules/cron/package.json'),
      ioredis: version('node_modules/ioredis/package.json'),
      nestCore: version('node_modules/@nestjs/core/package.json'),
    },
  };
}

/** Hash of the built library (every file of libs/task-manager/dist), to notice a rebuild during a run. */
export function libraryDistHash() {
  const hash = createHash('sha1');
  const walk = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    } catch {
      return;
    }
    for (const e of entries) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(path);
      else if (/\.(js|lua)$/.test(e.name)) hash.update(path).update(readFileSync(path));
    }
  };
  walk(`${root}libs/task-manager/dist`);
  return hash.digest('hex').slice(0, 12);
}
