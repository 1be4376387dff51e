import { MethodNotAllowedException, NotFoundException } from '@nestjs/common';

/** The API's routes, relative to its mount path, and their methods. */
export const API_ROUTES: ReadonlyArray<{ pattern: RegExp; methods: readonly string[] }> = [
  { pattern: /^\/(?:health|config|task-groups|functions|workers)$/, methods: ['GET'] },
  { pattern: /^\/tasks$/, methods: ['GET', 'POST', 'DELETE'] },
  { pattern: /^\/tasks\/(?:disable|enable|trigger|reset-retry)$/, methods: ['POST'] },
  { pattern: /^\/tasks\/statistics$/, methods: ['DELETE'] },
  { pattern: /^\/tasks\/[^/]+\/[^/]+\/statistics$/, methods: ['GET'] },
];

/** 405 for a path of the API requested with another method; carries the methods for the `Allow` header. */
export class ApiMethodNotAllowedException extends MethodNotAllowedException {
  constructor(readonly allow: readonly string[]) {
    super(`Method Not Allowed: use ${allow.join(' or ')}`);
  }
}

/**
 * The error for a request under the mount path that no route answered: 405 when the path is one of the
 * API's (wrong method), else 404.
 * @param path request path relative to the mount path, e.g. `/tasks/enable`
 */
export function unmatchedRequestError(path: string): ApiMethodNotAllowedException | NotFoundException {
  const route = API_ROUTES.find((r) => r.pattern.test(path));
  return route ? new ApiMethodNotAllowedException(route.methods) : new NotFoundException('Not Found');
}

/** What the catch-all route reads of a request. */
export interface UnmatchedRequest {
  originalUrl?: string;
  url?: string;
  params?: Record<string, unknown>;
}

/** Path of an unmatched request relative to the mount path, from the raw URL (names stay percent-encoded). */
export function restOf(request: UnmatchedRequest): string {
  const rest = request.params?.rest ?? request.params?.['*'];
  if (typeof rest === 'string') return `/${rest}`;
  const count = Array.isArray(rest) ? rest.length : 0;
  const segments = (request.originalUrl ?? request.url ?? '').split('?')[0].split('/');
  return `/${count > 0 ? segments.slice(-count).join('/') : ''}`;
}
