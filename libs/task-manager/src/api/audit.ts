/**
 * The audit trail of the management API: every admin action (enable, disable, trigger, reset-retry,
 * clear-statistics, create, update, delete) writes one log line and emits `admin.action` on
 * `TaskManagerEvents`, once the service answered, also when it refused (affected 0, with the reason).
 */
import type { LoggerService } from '@nestjs/common';
import type { AdminAction, AdminActionEvent, TaskManagerEvents } from '../engine/task-manager-events.js';
import type { TaskFilter } from '../registry/task-registry.js';
import type { TaskRef } from '../task-manager.service.js';

/** What the audit reads of a request: the user a guard put on it, and the remote address. */
export interface AuditedRequest {
  user?: unknown;
  ip?: string;
  socket?: { remoteAddress?: string };
}

/** Properties of `request.user` that name the caller, in order of preference. */
const USER_KEYS = ['id', 'sub', 'username', 'name', 'email'] as const;

/**
 * The caller as the guards expose it: `request.user` when it is a string or number, or the first of its
 * `id`, `sub`, `username`, `name`, `email`; else the remote address (`'unknown'` without one).
 */
export function callerOf(request: AuditedRequest): string {
  const { user } = request;
  if (typeof user === 'string' || typeof user === 'number') return String(user);
  if (user && typeof user === 'object') {
    for (const key of USER_KEYS) {
      const value = (user as Record<string, unknown>)[key];
      if (typeof value === 'string' || typeof value === 'number') return String(value);
    }
  }
  return request.ip ?? request.socket?.remoteAddress ?? 'unknown';
}

/** Writes the audit line and emits the event of each admin action. */
export class AdminAudit {
  constructor(
    private readonly events: Pick<TaskManagerEvents, 'emit'>,
    private readonly logger: LoggerService,
  ) {}

  /**
   * Runs `act` and audits it: the tasks it reports changed (`changed` of its result), or affected 0 with
   * the error's message when it throws (the error is rethrown).
   */
  async record<T>(
    request: AuditedRequest,
    action: AdminAction,
    filter: TaskFilter,
    act: () => Promise<T>,
    changed: (result: T) => readonly TaskRef[],
  ): Promise<T> {
    const base = { action, filter: definedOf(filter), caller: callerOf(request) };
    try {
      const result = await act();
      const tasks = changed(result).map(({ groupName, taskName }) => ({ groupName, taskName }));
      this.write({ ...base, affected: tasks.length, tasks });
      return result;
    } catch (error) {
      this.write({ ...base, affected: 0, tasks: [], error: (error as Error).message });
      throw error;
    }
  }

  private write(event: AdminActionEvent): void {
    const refused = event.error === undefined ? '' : ` error=${JSON.stringify(event.error)}`;
    this.logger.log(
      `Admin action ${event.action} by ${JSON.stringify(event.caller)}: filter=${JSON.stringify(event.filter)} ` +
        `affected=${event.affected}${refused}`,
    );
    this.events.emit('admin.action', event);
  }
}

/** The filter without its absent fields. */
function definedOf(filter: TaskFilter): AdminActionEvent['filter'] {
  return Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined));
}
