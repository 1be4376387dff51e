import { describe, expect, it } from 'vitest';
import { RepartitionInterruptedError } from '../../src/errors/repartition-interrupted.error.js';
import { RepartitionRefusedError } from '../../src/errors/repartition-refused.error.js';
import { TaskManagerConfigurationError } from '../../src/errors/task-manager-configuration.error.js';
import { HELP, parseCommandLine, runCli } from '../../src/ops/repartition-cli.js';
import type { RepartitionOptions } from '../../src/ops/repartition.options.js';

const parse = (line: string, env: NodeJS.ProcessEnv = {}) => parseCommandLine(line.split(' ').filter(Boolean), env);

/** Runs the command line with a repartition that answers `outcome` (or throws it); exit code and output. */
async function cli(line: string, outcome: unknown = undefined, env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const seen: RepartitionOptions[] = [];
  const code = await runCli(
    line.split(' ').filter(Boolean),
    { out: (text) => out.push(text), err: (text) => err.push(text) },
    env,
    async (options) => {
      seen.push(options);
      if (outcome instanceof Error) throw outcome;
      options.onProgress?.('progress line');
      return outcome;
    },
  );
  return { code, out: out.join('\n'), err: err.join('\n'), seen };
}

describe('the command line', () => {
  it('reads the options of a repartition, Redis from --redis or $REDIS_URL', () => {
    expect(
      parse('repartition --redis redis://h:1/2 --key-prefix app --to 6 --from 1 --worker-silence-ms 5000'),
    ).toEqual({
      redis: 'redis://h:1/2',
      keyPrefix: 'app',
      to: 6,
      from: 1,
      workerSilenceMs: 5000,
    });
    expect(parse('repartition --key-prefix app --to 3', { REDIS_URL: 'redis://env:6379' })).toEqual({
      redis: 'redis://env:6379',
      keyPrefix: 'app',
      to: 3,
    });
    // Not a number: passed on as given, for the options' validation to name.
    expect(parse('repartition --redis redis://h --key-prefix app --to six')).toMatchObject({ to: 'six' });
  });

  it('reads Redis Cluster startup nodes, credentials from a node URL applying to every node', () => {
    expect(parse('repartition --cluster 10.0.0.1:7000,10.0.0.2:7001 --key-prefix app --to 6')).toMatchObject({
      redis: {
        cluster: {
          nodes: [
            { host: '10.0.0.1', port: 7000 },
            { host: '10.0.0.2', port: 7001 },
          ],
        },
      },
    });
    expect(parse('repartition --cluster rediss://u:p%40ss@h1:7000,h2 --key-prefix app --to 6')).toMatchObject({
      redis: {
        cluster: {
          nodes: [
            { host: 'h1', port: 7000 },
            { host: 'h2', port: 6379 },
          ],
          options: { redisOptions: { username: 'u', password: 'p@ss', tls: {} } },
        },
      },
    });
  });

  it('asks for help, or says what is missing, with exit status 2', async () => {
    for (const line of ['', '--help', 'help', 'repartition -h']) {
      const { code, out } = await cli(line);
      expect(code, line).toBe(0);
      expect(out).toBe(HELP);
    }
    expect(await cli('repartition --key-prefix app --to 6')).toMatchObject({
      code: 2,
      err: expect.stringContaining('Give --redis <url> (or set REDIS_URL), or --cluster <nodes>'),
    });
    expect(await cli('repartition --redis redis://h --cluster h:1 --key-prefix app --to 6')).toMatchObject({
      code: 2,
      err: expect.stringContaining('Give --redis or --cluster, not both'),
    });
    expect((await cli('repartition --redis redis://h')).err).toContain('Missing --key-prefix and --to');
    expect((await cli('move --redis redis://h')).err).toContain('Unknown command: move');
    expect((await cli('repartition --nope')).err).toContain("Unknown option '--nope'");
  });

  it('prints progress, and exits 1 on a refusal or an interruption, 2 on invalid options', async () => {
    const line = 'repartition --redis redis://h --key-prefix app --to 6';
    expect(await cli(line, {})).toMatchObject({ code: 0, out: 'progress line' });
    expect(await cli(line, new RepartitionRefusedError('refused: stop them'))).toMatchObject({
      code: 1,
      err: 'refused: stop them',
    });
    expect(await cli(line, new RepartitionInterruptedError('stopped: run again'))).toMatchObject({ code: 1 });
    expect(await cli(line, new TaskManagerConfigurationError('bad'))).toMatchObject({ code: 2, err: 'bad' });
    expect(await cli(line, new Error('boom'))).toMatchObject({ code: 1, err: 'The repartition failed: boom' });
  });
});
