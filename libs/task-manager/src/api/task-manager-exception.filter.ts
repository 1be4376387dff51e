import { Catch, Inject, type ArgumentsHost, type ExceptionFilter, type LoggerService } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TASK_MANAGER_LOGGER } from '../task-manager.constants.js';
import { ApiMethodNotAllowedException } from './api-routes.js';
import { toApiError } from './error-response.js';

/**
 * Exception filter of the management API (bound to its controller only): answers every failure with
 * FastAPI Task Manager's body `{"detail": "..."}` (plus `errors` for validation failures) and the right
 * status — 400 bad input, 401/403 from guards, 404 no match or unknown path, 405 wrong method (with
 * `Allow`), 409 conflict, 413 too large, 503 Redis
 * unavailable. Unexpected errors answer 500 with a generic detail and are logged with their stack; 503s are
 * logged as one warning line.
 */
@Catch()
export class TaskManagerExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(TASK_MANAGER_LOGGER) private readonly logger: LoggerService,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { status, body } = toApiError(exception);
    const error = exception instanceof Error ? exception : new Error(String(exception));
    if (status === 500) this.logger.error(`Management API request failed: ${error.message}`, error.stack);
    else if (status > 500) this.logger.warn(`Management API request failed (${status}): ${error.message}`);
    const response = host.switchToHttp().getResponse();
    const adapter = this.adapterHost.httpAdapter;
    if (exception instanceof ApiMethodNotAllowedException)
      adapter.setHeader(response, 'Allow', exception.allow.join(', '));
    adapter.reply(response, body, status);
  }
}
