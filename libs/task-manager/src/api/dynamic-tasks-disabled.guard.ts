import { ForbiddenException, type CanActivate } from '@nestjs/common';

/** Answers 403 on the dynamic-task endpoints when `api.dynamicTasks` is false. */
export class DynamicTasksDisabledGuard implements CanActivate {
  canActivate(): boolean {
    throw new ForbiddenException(
      'Dynamic tasks are disabled on this API (option api.dynamicTasks is false): POST /tasks and DELETE /tasks are not available',
    );
  }
}
