import { createHash, timingSafeEqual } from 'node:crypto';
import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request } from 'express';

/** Header carrying the API key. */
export const API_KEY_HEADER = 'x-api-key';

/**
 * Guards the task manager's management API with a shared key: off unless `TASK_MANAGER_API_KEY` is set,
 * then every request needs the header `x-api-key: <key>` (else 401).
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
    const provided = context.switchToHttp().getRequest<Request>().headers[API_KEY_HEADER];
    // Digests have one length, so the comparison is constant-time whatever the client sends.
    if (typeof provided === 'string' && timingSafeEqual(digest(provided), this.key)) return true;
    throw new UnauthorizedException(`Missing or invalid ${API_KEY_HEADER} header`);
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
