/**
 * Turns anything thrown while serving the API into a status and FastAPI's `{"detail": ...}` body:
 * Nest HTTP exceptions, the library's typed errors, platform errors (body parser, URI decoding) and
 * Redis outages. Anything else is a server fault: 500 with a generic detail (never internals).
 */
import { HttpException, HttpStatus } from '@nestjs/common';
import { InvalidTaskDefinitionError } from '../errors/invalid-task-definition.error.js';
import { KwargsTooLargeError } from '../errors/kwargs-too-large.error.js';
import { StaticTaskError } from '../errors/static-task.error.js';
import { TaskConflictError } from '../errors/task-conflict.error.js';
import { TaskManagerError } from '../errors/task-manager.error.js';
import { TaskNotFoundError } from '../errors/task-not-found.error.js';
import type { ErrorResponse } from './dto/system.responses.js';

/** An error response: HTTP status and body. */
export interface ApiError {
  status: number;
  body: ErrorResponse;
}

/** Messages of the errors raised by the platform below Nest (body-parser / http-errors `type`s). */
const PLATFORM_MESSAGES: Record<string, string> = {
  'entity.parse.failed': 'Request body is not a valid JSON object',
  'entity.too.large': 'Request body is too large',
  'encoding.unsupported': 'Unsupported request body encoding',
  'charset.unsupported': 'Unsupported request body charset',
  'request.size.invalid': 'Request body size does not match its Content-Length',
  'request.aborted': 'Request aborted',
  'parameters.too.many': 'Too many parameters',
};

/**
 * Errors of a Redis that cannot answer now. On Redis Cluster, while a master is down and the cluster refuses
 * commands, ioredis gives up with "Too many Cluster redirections. Last error: ReplyError: CLUSTERDOWN ..." (a
 * chaos soak on a 3-master cluster, one master restarted, saw GET /tasks answer 500 for it).
 */
const REDIS_DOWN =
  /Connection is closed|Command timed out|Stream isn't writeable|ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|CLUSTERDOWN|Too many Cluster redirections|Failed to refresh slots cache/;

/** Maps `exception` to an error response. */
export function toApiError(exception: unknown): ApiError {
  if (exception instanceof HttpException) return fromHttpException(exception);
  if (exception instanceof TaskManagerError) return fromTaskManagerError(exception);
  const platform = fromPlatformError(exception);
  if (platform) return platform;
  if (isRedisUnavailable(exception)) {
    return error(HttpStatus.SERVICE_UNAVAILABLE, 'Redis is unavailable; retry later');
  }
  return error(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal server error');
}

function fromTaskManagerError(exception: TaskManagerError): ApiError {
  if (exception instanceof TaskNotFoundError) return error(HttpStatus.NOT_FOUND, exception.message);
  if (exception instanceof TaskConflictError) return error(HttpStatus.CONFLICT, exception.message);
  if (exception instanceof KwargsTooLargeError) return error(HttpStatus.PAYLOAD_TOO_LARGE, exception.message);
  if (exception instanceof InvalidTaskDefinitionError) {
    const errors = exception.problems.length > 1 ? exception.problems : undefined;
    return error(HttpStatus.BAD_REQUEST, exception.message, errors);
  }
  if (exception instanceof StaticTaskError) return error(HttpStatus.BAD_REQUEST, exception.message);
  return error(HttpStatus.BAD_REQUEST, exception.message);
}

function fromHttpException(exception: HttpException): ApiError {
  const status = exception.getStatus();
  const response = exception.getResponse();
  if (typeof response === 'string') return error(status, response);
  const body = response as { detail?: unknown; errors?: unknown; message?: unknown };
  const errors = Array.isArray(body.errors)
    ? body.errors.map(String)
    : Array.isArray(body.message)
      ? body.message.map(String)
      : undefined;
  const detail =
    typeof body.detail === 'string'
      ? body.detail
      : typeof body.message === 'string'
        ? body.message
        : errors?.length
          ? errors.join('; ')
          : exception.message;
  return error(status, detail, errors);
}

/** Errors of the HTTP platform (http-errors instances carrying a 4xx `status` and `expose`). */
function fromPlatformError(exception: unknown): ApiError | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const { status, statusCode, expose, type, message } = exception as Record<string, unknown>;
  const code = typeof status === 'number' ? status : statusCode;
  if (typeof code !== 'number' || code < 400 || code > 499) return undefined;
  if (exception instanceof URIError) return error(code, 'Malformed percent-encoding in the URL');
  if (expose === false) return undefined;
  const known = typeof type === 'string' ? PLATFORM_MESSAGES[type] : undefined;
  const detail = known && typeof message === 'string' ? `${known}: ${message}` : (known ?? String(message));
  return error(code, detail);
}

function isRedisUnavailable(exception: unknown): boolean {
  if (!(exception instanceof Error)) return false;
  return exception.name === 'MaxRetriesPerRequestError' || REDIS_DOWN.test(exception.message);
}

function error(status: number, detail: string, errors?: string[]): ApiError {
  return { status, body: errors ? { detail, errors } : { detail } };
}
