/**
 * `nestjs-task-manager/api`: the request and response classes of the management HTTP API (for typed
 * clients, tests, or an OpenAPI document built by hand). They carry class-validator and @nestjs/swagger
 * decorators, so this entry point needs the optional peers `class-validator` and `class-transformer`
 * (`@nestjs/swagger` for the documentation); the main entry point never loads them.
 */
export { CreateDynamicTaskRequest } from './dto/create-dynamic-task.dto.js';
export {
  TaskGroupResponse,
  TaskDetailedResponse,
  TaskRunResponse,
  TaskStatisticsSummaryResponse,
  TaskStatisticsResponse,
  AffectedTaskResponse,
  TaskActionResponse,
  RegisteredFunctionInfoResponse,
  RegisteredFunctionsResponse,
  DynamicTaskResponse,
} from './dto/task.responses.js';
export { HealthResponse, ConfigResponse, ErrorResponse, WorkerResponse } from './dto/system.responses.js';
