import {
  All,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Query,
  Req,
  UseFilters,
  UseGuards,
  UsePipes,
  type LoggerService,
  type Type,
} from '@nestjs/common';
import { TaskManagerEvents } from '../engine/task-manager-events.js';
import { TaskNotFoundError } from '../errors/task-not-found.error.js';
import type { TaskFilter } from '../registry/task-registry.js';
import { TASK_MANAGER_LOGGER } from '../task-manager.constants.js';
import { TaskManagerService, type TaskRef } from '../task-manager.service.js';
import { apiDocs } from './api-docs.js';
import { AdminAudit, type AuditedRequest } from './audit.js';
import { restOf, unmatchedRequestError, type UnmatchedRequest } from './api-routes.js';
import { DynamicTasksDisabledGuard } from './dynamic-tasks-disabled.guard.js';
import { noMatch, toFilter } from './mappers/filter.mapper.js';
import { ApiValidationPipe, RejectQueryPipe } from './api-validation.pipe.js';
import { CreateDynamicTaskRequest } from './dto/create-dynamic-task.dto.js';
import { TriggerTasksRequest } from './dto/trigger-tasks.dto.js';
import { UpdateDynamicTaskRequest } from './dto/update-dynamic-task.dto.js';
import { toUpdate } from './mappers/update.mapper.js';
import {
  DeleteDynamicTaskQuery,
  FunctionsQuery,
  ListTasksQuery,
  TaskFilterQuery,
  TaskGroupsQuery,
  TaskPathParams,
} from './dto/query.dto.js';
import { ConfigResponse, HealthResponse, WorkerResponse } from './dto/system.responses.js';
import {
  DynamicTaskResponse,
  RegisteredFunctionsResponse,
  TaskActionResponse,
  TaskDetailedResponse,
  TaskGroupResponse,
  TaskStatisticsResponse,
} from './dto/task.responses.js';
import { toTaskStatistics } from './mappers/statistics.mapper.js';
import { toConfig, toHealth, toWorker } from './mappers/system.mapper.js';
import {
  toCreatedDynamicTask,
  toDeletedDynamicTask,
  toRegisteredFunctions,
  toTaskAction,
  toTaskDetailed,
  toTaskGroup,
} from './mappers/task.mapper.js';
import { ApiBody, ApiExcludeController, ApiExcludeEndpoint, ApiTags } from './swagger.js';
import type { ResolvedTaskManagerApiOptions } from './task-manager-api.options.js';
import { TaskManagerExceptionFilter } from './task-manager-exception.filter.js';

/**
 * Creates the management API controller, mounted under `options.path`: FastAPI Task Manager's 13 endpoints plus
 * `GET /workers`, each a thin mapping from a validated DTO to a `TaskManagerService` call and from its
 * result to FastAPI Task Manager's response shape. `options.guards` apply to every endpoint, `options.adminGuards` to the mutating ones.
 */
export function createTaskManagerController(options: ResolvedTaskManagerApiOptions): Type<unknown> {
  const docs = apiDocs(options.guards.length > 0, options.adminGuards.length > 0);
  const admin = [...options.adminGuards];
  const dynamic = options.dynamicTasks ? admin : [...admin, new DynamicTasksDisabledGuard()];
  // Every other path under a (non-root) mount path answers 404 / 405 in the API's shape.
  const catchAll: MethodDecorator = options.path === '' ? () => undefined : All('{*rest}');

  @Controller(options.path)
  @(options.swagger ? ApiTags('Task manager') : ApiExcludeController())
  @UseGuards(...options.guards)
  @UseFilters(TaskManagerExceptionFilter)
  @UsePipes(new ApiValidationPipe())
  class TaskManagerController {
    private readonly audit: AdminAudit;

    constructor(
      private readonly service: TaskManagerService,
      events: TaskManagerEvents,
      @Inject(TASK_MANAGER_LOGGER) logger: LoggerService,
    ) {
      this.audit = new AdminAudit(events, logger);
    }

    /** Runs a bulk action, audited; 404 (nothing changed) when no task matches. */
    private async bulk(
      request: AuditedRequest,
      action: Parameters<AdminAudit['record']>[1],
      query: TaskFilterQuery,
      act: (filter: TaskFilter) => Promise<TaskRef[]>,
    ): Promise<TaskActionResponse> {
      const filter = toFilter(query);
      const refs = await this.audit.record(
        request,
        action,
        filter,
        async () => {
          const changed = await act(filter);
          if (changed.length === 0) throw new TaskNotFoundError(noMatch(filter));
          return changed;
        },
        (changed) => changed,
      );
      return toTaskAction(refs);
    }

    @Get('health')
    @docs.health(HealthResponse)
    health(): HealthResponse {
      return toHealth(this.service.health());
    }

    @Get('workers')
    @docs.workers(WorkerResponse)
    async workers(): Promise<WorkerResponse[]> {
      return (await this.service.workers()).map(toWorker);
    }

    @Get('config')
    @docs.config(ConfigResponse)
    config(): ConfigResponse {
      return toConfig(this.service.config());
    }

    @Get('task-groups')
    @docs.taskGroups(TaskGroupResponse)
    taskGroups(@Query() query: TaskGroupsQuery): TaskGroupResponse[] {
      return this.service.listGroups({ name: query.name, tag: query.tag }).map(toTaskGroup);
    }

    @Get('tasks')
    @docs.tasks(TaskDetailedResponse)
    async tasks(@Query() query: ListTasksQuery): Promise<TaskDetailedResponse[]> {
      const views = await this.service.getTasks(toFilter(query), { offset: query.offset, limit: query.limit });
      return views.map(toTaskDetailed);
    }

    @Get('tasks/:task_group_name/:task_name/statistics')
    @docs.statistics(TaskStatisticsResponse)
    async statistics(
      @Param() params: TaskPathParams,
      @Query(RejectQueryPipe) _query: unknown,
    ): Promise<TaskStatisticsResponse> {
      const runs = await this.service.getRunHistory(params.task_group_name, params.task_name);
      return toTaskStatistics(params.task_group_name, params.task_name, runs);
    }

    @Post('tasks/disable')
    @HttpCode(200)
    @UseGuards(...admin)
    @docs.disable(TaskActionResponse)
    disable(@Query() query: TaskFilterQuery, @Req() request: AuditedRequest): Promise<TaskActionResponse> {
      return this.bulk(request, 'disable', query, (filter) => this.service.disable(filter));
    }

    @Post('tasks/enable')
    @HttpCode(200)
    @UseGuards(...admin)
    @docs.enable(TaskActionResponse)
    enable(@Query() query: TaskFilterQuery, @Req() request: AuditedRequest): Promise<TaskActionResponse> {
      return this.bulk(request, 'enable', query, (filter) => this.service.enable(filter));
    }

    @Post('tasks/trigger')
    @HttpCode(200)
    @UseGuards(...admin)
    @docs.trigger(TaskActionResponse)
    @ApiBody({ type: TriggerTasksRequest, required: false })
    trigger(
      @Query() query: TaskFilterQuery,
      @Body() body: TriggerTasksRequest,
      @Req() request: AuditedRequest,
    ): Promise<TaskActionResponse> {
      const options = body.kwargs === undefined ? {} : { kwargs: body.kwargs };
      return this.bulk(request, 'trigger', query, (filter) => this.service.trigger(filter, options));
    }

    @Post('tasks/reset-retry')
    @HttpCode(200)
    @UseGuards(...admin)
    @docs.resetRetry(TaskActionResponse)
    resetRetry(@Query() query: TaskFilterQuery, @Req() request: AuditedRequest): Promise<TaskActionResponse> {
      return this.bulk(request, 'reset-retry', query, (filter) => this.service.resetRetry(filter));
    }

    @Delete('tasks/statistics')
    @UseGuards(...admin)
    @docs.clearStatistics(TaskActionResponse)
    clearStatistics(@Query() query: TaskFilterQuery, @Req() request: AuditedRequest): Promise<TaskActionResponse> {
      return this.bulk(request, 'clear-statistics', query, (filter) => this.service.clearRunHistory(filter));
    }

    @Get('functions')
    @docs.functions(RegisteredFunctionsResponse)
    functions(@Query() query: FunctionsQuery): RegisteredFunctionsResponse {
      return toRegisteredFunctions(this.service.listFunctions(query.task_group_name));
    }

    @Post('tasks')
    @HttpCode(200)
    @UseGuards(...dynamic)
    @docs.createTask(DynamicTaskResponse)
    async createTask(
      @Body() body: CreateDynamicTaskRequest,
      @Query(RejectQueryPipe) _query: unknown,
      @Req() request: AuditedRequest,
    ): Promise<DynamicTaskResponse> {
      const filter = { groupName: body.task_group_name, name: body.name ?? undefined };
      const create = () =>
        this.service.createDynamicTask({
          groupName: body.task_group_name,
          functionName: body.function_name,
          cronExpression: body.cron_expression,
          kwargs: body.kwargs,
          name: body.name,
          description: body.description,
          highPriority: body.high_priority,
          tags: body.tags,
          retryBackoff: body.retry_backoff,
          retryBackoffMax: body.retry_backoff_max,
          allowParallel: body.allow_parallel,
          timeZone: body.time_zone,
          maxAttempts: body.max_attempts,
          timeoutMs: body.timeout_ms,
          misfirePolicy: body.misfire_policy,
        });
      const task = await this.audit.record(request, 'create', filter, create, (created) => [
        { groupName: created.groupName, taskName: created.name },
      ]);
      return toCreatedDynamicTask(task);
    }

    @Patch('tasks')
    @UseGuards(...dynamic)
    @docs.updateTask(TaskDetailedResponse)
    async updateTask(
      @Query() query: DeleteDynamicTaskQuery,
      @Body() body: UpdateDynamicTaskRequest,
      @Req() request: AuditedRequest,
    ): Promise<TaskDetailedResponse> {
      const { task_group_name: groupName, task_name: name } = query;
      const update = toUpdate(body);
      const view = await this.audit.record(
        request,
        'update',
        { groupName, name },
        () => this.service.updateDynamicTask(groupName, name, update),
        ({ task }) => [{ groupName: task.groupName, taskName: task.name }],
      );
      return toTaskDetailed(view);
    }

    @Delete('tasks')
    @UseGuards(...dynamic)
    @docs.deleteTask(DynamicTaskResponse)
    async deleteTask(
      @Query() query: DeleteDynamicTaskQuery,
      @Req() request: AuditedRequest,
    ): Promise<DynamicTaskResponse> {
      const { task_group_name: groupName, task_name: name } = query;
      const deleted = await this.audit.record(
        request,
        'delete',
        { groupName, name },
        () => this.service.deleteDynamicTask(groupName, name),
        (task) => [{ groupName: task.group, taskName: task.name }],
      );
      return toDeletedDynamicTask(deleted);
    }

    @catchAll
    @ApiExcludeEndpoint()
    unmatched(@Req() request: UnmatchedRequest): never {
      throw unmatchedRequestError(restOf(request));
    }
  }
  return TaskManagerController;
}
