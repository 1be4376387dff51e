import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type LoggerService,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { TaskManagerConfigurationError } from '../errors/task-manager-configuration.error.js';
import { RedisUnreachableError } from '../errors/redis-unreachable.error.js';
import type { ResolvedTaskManagerOptions } from '../options/resolved-options.js';
import {
  TASK_MANAGER_COORDINATION,
  TASK_MANAGER_LOGGER,
  TASK_MANAGER_RESOLVED_OPTIONS,
} from '../task-manager.constants.js';
import { messages } from '../task-manager.messages.js';
import type { CoordinationPort } from './coordination.port.js';
import { TaskManagerOrchestrator } from './task-manager.orchestrator.js';
import { retryPause } from './retry-pace.js';
import type { TimerHandle } from './timers.js';

/**
 * The engine's start-up gate, on application bootstrap: connects to the backend and starts the engine
 * (`autoStart`), or only connects (`autoStart: false`). When Redis does not answer:
 * - by default, boot goes on: one warning (the server and the reason, never a password), then attempts
 *   continue with backoff in the background until Redis answers and the engine starts; nothing is thrown;
 * - with `waitForRedisMs`, boot retries for that long, then fails with one `RedisUnreachableError`.
 * A configuration error found on connecting (Redis too old, topology mismatch) fails boot either way.
 */
@Injectable()
export class EngineStartup implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private stopped = false;
  private retryTimer?: TimerHandle;

  constructor(
    private readonly orchestrator: TaskManagerOrchestrator,
    @Inject(TASK_MANAGER_RESOLVED_OPTIONS) private readonly options: ResolvedTaskManagerOptions,
    @Inject(TASK_MANAGER_COORDINATION) private readonly port: CoordinationPort,
    @Inject(TASK_MANAGER_LOGGER) private readonly logger: LoggerService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const waitMs = this.options.waitForRedisMs;
    if (waitMs !== undefined) return this.bootOrFail(waitMs);
    try {
      await this.attempt();
    } catch (error) {
      if (error instanceof TaskManagerConfigurationError) throw await this.closeAfter(error);
      this.logger.warn(messages.redisUnreachableAtBoot(reason(error), this.options.autoStart));
      void this.retryInBackground();
    }
  }

  /** Stops the background attempts (the orchestrator stops the engine, then closes the connections). */
  beforeApplicationShutdown(): void {
    this.stopped = true;
    this.orchestrator.timers.clearTimeout(this.retryTimer);
  }

  /** One attempt: connect, then start the engine unless `autoStart` is false. */
  private async attempt(): Promise<void> {
    if (this.options.autoStart) await this.orchestrator.start();
    else await this.orchestrator.connect();
  }

  /** `waitForRedisMs`: attempts until Redis answers or the time is up, then fails boot with the last reason. */
  private async bootOrFail(waitMs: number): Promise<void> {
    const deadline = this.orchestrator.timers.now() + waitMs;
    for (let failures = 1; ; failures++) {
      try {
        return await this.attempt();
      } catch (error) {
        if (error instanceof TaskManagerConfigurationError) throw await this.closeAfter(error);
        const left = deadline - this.orchestrator.timers.now();
        if (left <= 0) {
          const unreachable = error instanceof RedisUnreachableError;
          const failure = new RedisUnreachableError(
            unreachable ? error.target : 'the configured server',
            unreachable ? error.reason : reason(error),
            { cause: error, waitedMs: waitMs },
          );
          throw await this.closeAfter(failure);
        }
        await this.sleep(Math.min(this.retryDelay(failures), left));
      }
    }
  }

  /** Attempts with backoff until one succeeds, the application stops, or a configuration error shows. */
  private async retryInBackground(): Promise<void> {
    for (let failures = 1; !this.stopped; failures++) {
      await this.sleep(this.retryDelay(failures));
      if (this.stopped) return;
      try {
        await this.attempt();
        this.logger.log(messages.redisAnsweredAfterBoot(this.options.autoStart));
        return;
      } catch (error) {
        if (error instanceof TaskManagerConfigurationError) {
          this.logger.error(messages.engineStartFailed(reason(error)));
          return;
        }
      }
    }
  }

  /** Closes the connections (they would keep reconnecting and hold the process) and returns `error`. */
  private async closeAfter(error: Error): Promise<Error> {
    await this.port.lifecycle.close().catch(() => undefined);
    return error;
  }

  /** Pause between two start attempts after `failures` failures. */
  private retryDelay(failures: number): number {
    return retryPause(this.orchestrator.settings.lifecycle.startRetry, failures);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.retryTimer = this.orchestrator.timers.setTimeout(resolve, ms);
    });
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
