import type { LoggerService } from '@nestjs/common';

const LEVELS = ['log', 'error', 'warn', 'debug', 'verbose', 'fatal'] as const;

/**
 * `logger` with its lines attributed to `context` (passed as the last parameter, Nest's convention): what a
 * task handler receives as `ctx.logger`, so that the module's `logger` option receives its lines too.
 */
export function scopedLogger(logger: LoggerService, context: string): LoggerService {
  const scoped: LoggerService = {
    log: (message: unknown, ...rest: unknown[]) => logger.log(message, ...rest, context),
    error: (message: unknown, ...rest: unknown[]) => logger.error(message, ...rest, context),
    warn: (message: unknown, ...rest: unknown[]) => logger.warn(message, ...rest, context),
  };
  for (const level of LEVELS) {
    const write = logger[level];
    if (write && !(level in scoped))
      scoped[level] = (message: unknown, ...rest: unknown[]) => write.call(logger, message, ...rest, context);
  }
  return scoped;
}
