import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { API_ROUTES } from './api-routes.js';
import { toApiError } from './error-response.js';
import { TASK_MANAGER_API_OPTIONS, type ResolvedTaskManagerApiOptions } from './task-manager-api.options.js';

interface Request {
  originalUrl?: string;
  url?: string;
}
interface Response {
  headersSent: boolean;
  status(code: number): { json(body: unknown): void };
}

/**
 * Gives the API's `{"detail": ...}` shape to the client errors Express raises *before* a route runs, which
 * controller-scoped filters never see: malformed JSON (400), a body over the parser's limit (413), bad
 * percent-encoding in the URL (400). They are answered for every path under the mount path (the API's
 * catch-all route answers those), or only for the API's own routes when it is mounted at the root. Express
 * only; other requests, and 5xx errors, pass on untouched.
 */
@Injectable()
export class PlatformErrorsBinder implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(TASK_MANAGER_API_OPTIONS) private readonly options: ResolvedTaskManagerApiOptions,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter || adapter.getType() !== 'express') return;
    // NOTE: module init runs after the routes are registered and before Nest's own error handler.
    adapter.use(platformErrorHandler(apiPathLocator(this.options.path), this.options.path !== ''));
  }
}

/**
 * Returns the path of a request relative to the API's mount path (e.g. `/tasks`), or undefined when the
 * request is not under it. The application's global prefix is not known here: any prefix is accepted.
 */
export function apiPathLocator(path: string): (req: Request) => string | undefined {
  const mount = path === '' ? '' : `/${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
  const pattern = new RegExp(`^(?:/.*?)?${mount}(/.*)?$`);
  return (req) => {
    const pathname = (req.originalUrl ?? req.url ?? '').split('?')[0];
    const match = pattern.exec(pathname);
    return match ? (match[1] ?? '/') : undefined;
  };
}

/**
 * Express error middleware answering client errors in the API's shape: for every path under the mount path
 * when `wholeMount` (the API owns it: its catch-all route answers 404/405 there), else for its routes only.
 */
export function platformErrorHandler(locate: (req: Request) => string | undefined, wholeMount = false) {
  return (error: unknown, req: Request, res: Response, next: (error?: unknown) => void): void => {
    const rest = locate(req);
    if (rest === undefined || res.headersSent) return next(error);
    if (!wholeMount && !API_ROUTES.some((r) => r.pattern.test(rest))) return next(error);
    const { status, body } = toApiError(error);
    if (status >= 500) return next(error);
    res.status(status).json(body);
  };
}
