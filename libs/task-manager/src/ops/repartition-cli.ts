import { parseArgs } from 'node:util';
import { RepartitionInterruptedError } from '../errors/repartition-interrupted.error.js';
import { RepartitionRefusedError } from '../errors/repartition-refused.error.js';
import { TaskManagerConfigurationError } from '../errors/task-manager-configuration.error.js';
import type { RepartitionOptions } from './repartition.options.js';

/** The command's name, as `npx` runs it (the package's `bin`). */
const COMMAND = 'nestjs-task-manager';

export const HELP = `Usage: ${COMMAND} repartition --key-prefix <prefix> --to <partitions> [--redis <url> | --cluster <nodes>] [options]

Moves a stopped deployment to another partition count (the \`partitions\` option, 1..256): its tasks'
schedules (next slots kept), states, history and dynamic definitions, its one-off runs, and the runs still
queued (turned into one-off runs). Resumable: if it stops half-way, run the same command again to finish.

Procedure: stop every instance of the deployment, run this, then start every instance with the new value.
It refuses while an instance is alive, and no instance starts while it runs.

Options:
  --redis <url>               Redis URL: redis://[user:password@]host:port[/db], rediss:// for TLS
                              (default: $REDIS_URL; prefer the variable for credentials)
  --cluster <nodes>           Redis Cluster startup nodes, comma-separated: host:port, or
                              redis[s]://[user:password@]host:port (credentials apply to every node)
  --key-prefix <prefix>       the deployment's keyPrefix option (required)
  --to <partitions>           the new partition count (required)
  --from <partitions>         the current count, checked against the key prefix's layout marker
  --worker-silence-ms <ms>    a worker seen more recently counts as alive (default 30000)
  -h, --help                  this help

Exit status: 0 done (or nothing to do), 1 refused or stopped (the message says what to do), 2 bad usage.
Programmatic use: import { repartition } from 'nestjs-task-manager/ops'.`;

/** What the command writes to. */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

/** A command line that cannot be run. */
class UsageError extends Error {}

/**
 * Runs the command line `argv` (after the program name): parses it, runs the repartition with progress lines,
 * prints its summary or why it refused or stopped. Returns the exit status.
 */
export async function runCli(
  argv: string[],
  output: CliOutput,
  env: NodeJS.ProcessEnv,
  run: (options: RepartitionOptions) => Promise<unknown>,
): Promise<number> {
  let options: RepartitionOptions | 'help';
  try {
    options = parseCommandLine(argv, env);
  } catch (error) {
    output.err(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (options === 'help') {
    output.out(HELP);
    return 0;
  }
  try {
    await run({ ...options, onProgress: output.out });
    return 0;
  } catch (error) {
    if (error instanceof TaskManagerConfigurationError) {
      output.err(error.message);
      return 2;
    }
    if (error instanceof RepartitionRefusedError || error instanceof RepartitionInterruptedError) {
      output.err(error.message);
      return 1;
    }
    output.err(`The repartition failed: ${(error as Error)?.message ?? String(error)}`);
    return 1;
  }
}

/**
 * The repartition options of a command line, or 'help'.
 * @throws UsageError naming what is wrong
 */
export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv): RepartitionOptions | 'help' {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0 || positionals[0] === 'help') return 'help';
  if (positionals[0] !== 'repartition' || positionals.length > 1) {
    throw new UsageError(`Unknown command: ${positionals.join(' ')} (the command is "repartition")`);
  }
  const url = values.redis ?? (values.cluster === undefined ? env.REDIS_URL : undefined);
  if (values.redis !== undefined && values.cluster !== undefined) {
    throw new UsageError('Give --redis or --cluster, not both');
  }
  if (url === undefined && values.cluster === undefined) {
    throw new UsageError('Give --redis <url> (or set REDIS_URL), or --cluster <nodes>');
  }
  const missing = (['key-prefix', 'to'] as const).filter((name) => values[name] === undefined);
  if (missing.length > 0) throw new UsageError(`Missing ${missing.map((name) => `--${name}`).join(' and ')}`);
  return {
    redis: url !== undefined ? url : clusterOption(values.cluster!),
    keyPrefix: values['key-prefix']!,
    to: numberOf(values.to!),
    ...(values.from === undefined ? {} : { from: numberOf(values.from) }),
    ...(values['worker-silence-ms'] === undefined ? {} : { workerSilenceMs: numberOf(values['worker-silence-ms']) }),
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      redis: { type: 'string' },
      cluster: { type: 'string' },
      'key-prefix': { type: 'string' },
      to: { type: 'string' },
      from: { type: 'string' },
      'worker-silence-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** A number given on the command line (anything else is passed on as is, for the options' validation to name). */
function numberOf(text: string): number {
  return /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : (text as unknown as number);
}

/** `--cluster h1:p1,redis://user:pass@h2:p2`: the module's `redis: { cluster }` option. */
function clusterOption(list: string): RepartitionOptions['redis'] {
  const nodes: Array<{ host: string; port: number }> = [];
  const redisOptions: { username?: string; password?: string; tls?: object } = {};
  for (const node of list
    .split(',')
    .map((text) => text.trim())
    .filter(Boolean)) {
    const url = new URL(/^[a-z]+:\/\//i.test(node) ? node : `redis://${node}`);
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
      throw new UsageError(`--cluster: a node is host:port or redis[s]://host:port (got the scheme ${url.protocol})`);
    }
    nodes.push({ host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : 6379 });
    if (url.username) redisOptions.username ??= decodeURIComponent(url.username);
    if (url.password) redisOptions.password ??= decodeURIComponent(url.password);
    if (url.protocol === 'rediss:') redisOptions.tls = {};
  }
  if (nodes.length === 0) throw new UsageError('--cluster needs at least one node (host:port)');
  return { cluster: { nodes, ...(Object.keys(redisOptions).length > 0 ? { options: { redisOptions } } : {}) } };
}
