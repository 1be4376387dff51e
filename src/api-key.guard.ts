import { createHash, timingSafeEqual } from 'node:crypto';
import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request, Response } from 'express';

/** Header carrying the API key. */
export const API_KEY_HEADER = 'x-api-key';

/**
 * Guards the task manager's management API and dashboard with a shared key: off unless
 * `TASK_MANAGER_API_KEY` is set, then every request needs the header `x-api-key: <key>` or, for browsers
 * (the dashboard), HTTP Basic authentication with the key as password (any user name); else 401, with a
 * `WWW-Authenticate` challenge so that a browser asks for it.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly key?: Buffer;

  constructor(config: ConfigService) {
    const key = config.get<string>('TASK_MANAGER_API_KEY');
    this.key = key ? digest(key) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.key) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    const provided = request.headers[API_KEY_HEADER] ?? basicPassword(request.headers.authorization);
    // Digests have one length, so the comparison is constant-time whatever the client sends.
    if (typeof provided === 'string' && timingSafeEqual(digest(provided), this.key)) return true;
    http.getResponse<Response>().setHeader('WWW-Authenticate', 'Basic realm="task-manager", charset="UTF-8"');
    throw new UnauthorizedException(`Missing or invalid ${API_KEY_HEADER} header`);
  }
}

/** The password of an `Authorization: Basic` header, or undefined. */
function basicPassword(authorization: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
