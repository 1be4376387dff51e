import {
  All,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  UseFilters,
  UseGuards,
  UsePipes,
  type Type,
} from '@nestjs/common';
import { TaskNotFoundError } from '../errors/task-not-found.error.js';
import type { TaskFilter } from '../registry/task-registry.js';
import { TaskManagerService, type TaskRef } from '../task-manager.service.js';
import { apiDocs } from './api-docs.js';
import { restOf, unmatchedRequestError, type UnmatchedRequest } from './api-routes.js';
import { DynamicTasksDisabledGuard } from './dynamic-tasks-disabled.guard.js';
import { noMatch, toFilter } from './mappers/filter.mapper.js';
import { ApiValidationPipe } from './api-validation.pipe.js';
import { CreateDynamicTaskRequest } from './dto/create-dynamic-task.dto.js';
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
import { ApiExcludeController, ApiExcludeEndpoint, ApiTags } from './swagger.js';
import type { ResolvedTaskManagerApiOptions } from './task-manager-api.options.js';
import { TaskManagerExceptionFilter } from './task-manager-exception.filter.js';

/**
 * Creates the management API controller, mounted under `options.path`: the seed's 13 endpoints plus
 * `GET /workers`, each a thin mapping from a validated DTO to a `TaskManagerService` call and from its
 * result to the seed's response shape. `options.guards` apply to every endpoint, `options.adminGuards` to the mutating ones.
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
    constructor(private readonly service: TaskManagerService) {}

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
      return toConfig(this.service.options);
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
    async statistics(@Param() params: TaskPathParams): Promise<TaskStatisticsResponse> {
      const runs = await this.service.getStatistics(params.task_group_name, params.task_name);
      return toTaskStatistics(params.task_group_name, params.task_name, runs);
    }

    @Post('tasks/disable')
    @HttpCode(200)
    @UseGuards(...admin)
    @docs.disable(TaskActionResponse)
    disable(@Query() query: TaskFilterQuery): Promise<TaskActionResponse> {
      return bulk(query, (filter) => this.service.disable(filter));
    }

    @Post('tasks/enable')
    @HttpCode(200)
    @UseGuards(...admin)
    @docs.enable(TaskActionResponse)
    enable(@Query() query: TaskFilterQuery): Promise<TaskActionResponse> {
      return bulk(query, (filter) => this.service.enable(filter));
    }

    @Post('tasks/trigger')
    @HttpCode(200)
    @UseGuards(...admin)
    @docs.trigger(TaskActionResponse)
    trigger(@Query() query: TaskFilterQuery): Promise<TaskActionResponse> {
      return bulk(query, (filter) => this.service.trigger(filter));
    }

    @Post('tasks/reset-retry')
    @HttpCode(200)
    @UseGuards(...admin)
    @docs.resetRetry(TaskActionResponse)
    resetRetry(@Query() query: TaskFilterQuery): Promise<TaskActionResponse> {
      return bulk(query, (filter) => this.service.resetRetry(filter));
    }

    @Delete('tasks/statistics')
    @UseGuards(...admin)
    @docs.clearStatistics(TaskActionResponse)
    clearStatistics(@Query() query: TaskFilterQuery): Promise<TaskActionResponse> {
      return bulk(query, (filter) => this.service.clearStatistics(filter));
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
    async createTask(@Body() body: CreateDynamicTaskRequest): Promise<DynamicTaskResponse> {
      const task = await this.service.createDynamicTask({
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
        timeZone: body.time_zone,
      });
      return toCreatedDynamicTask(task);
    }

    @Delete('tasks')
    @UseGuards(...dynamic)
    @docs.deleteTask(DynamicTaskResponse)
    async deleteTask(@Query() query: DeleteDynamicTaskQuery): Promise<DynamicTaskResponse> {
      return toDeletedDynamicTask(await this.service.deleteDynamicTask(query.task_group_name, query.task_name));
    }

    @catchAll
    @ApiExcludeEndpoint()
    unmatched(@Req() request: UnmatchedRequest): never {
      throw unmatchedRequestError(restOf(request));
    }
  }
  return TaskManagerController;
}

/** Runs a bulk action; 404 (nothing changed) when no task matches. */
async function bulk(query: TaskFilterQuery, action: (filter: TaskFilter) => Promise<TaskRef[]>) {
  const filter = toFilter(query);
  const refs = await action(filter);
  if (refs.length === 0) throw new TaskNotFoundError(noMatch(filter));
  return toTaskAction(refs);
}
