/** Response bodies of `GET /health`, `GET /workers`, `GET /config` and of every error. */
import { ApiProperty, ApiPropertyOptional, ApiSchema } from '../swagger.js';

/** `GET /health`: this instance. */
@ApiSchema({ name: 'HealthResponse' })
export class HealthResponse {
  @ApiProperty({
    enum: ['healthy', 'unhealthy'],
    description: 'Healthy: the engine runs and its backend answers (Redis, or the in-process driver).',
  })
  status!: 'healthy' | 'unhealthy';
  @ApiProperty({
    enum: ['redis', 'memory'],
    description:
      'Coordination backend: Redis, or the in-process driver (no `redis` configured). Not in FastAPI Task Manager.',
  })
  driver!: 'redis' | 'memory';
  @ApiProperty({ example: true, description: 'Whether Redis answers; always false on the in-process driver.' })
  redis_connected!: boolean;
  @ApiProperty({ type: String, nullable: true, example: 'nest-task-manager-host-1234-ab12' })
  worker_id!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-03-08T10:00:00Z' })
  worker_started_at!: string | null;
  @ApiProperty({ type: Boolean, nullable: true, description: 'Whether this instance is the leader.' })
  is_leader!: boolean | null;
}

/** One live instance of the deployment (`GET /workers`, not in FastAPI Task Manager). */
@ApiSchema({ name: 'WorkerInfo' })
export class WorkerResponse {
  @ApiProperty({ example: 'nest-task-manager-host-1234-ab12' })
  worker_id!: string;
  @ApiProperty({ example: 'host' })
  host!: string;
  @ApiProperty({ type: 'integer', example: 1234 })
  pid!: number;
  @ApiProperty({ type: String, format: 'date-time', example: '2026-03-08T10:00:00Z' })
  started_at!: string;
  @ApiProperty({ type: String, format: 'date-time', description: 'Last heartbeat.', example: '2026-03-08T10:05:03Z' })
  last_seen!: string;
  @ApiProperty({ description: 'Holds the leader lease (schedules the slots).', example: true })
  is_leader!: boolean;
  @ApiProperty({ type: 'integer', description: 'Runs executing on the instance at its last heartbeat.', example: 0 })
  running!: number;
}

/**
 * `GET /config`: the options in force, with FastAPI Task Manager's snake_case names and JSON types (durations in
 * seconds unless the name ends in `_ms`), plus ours. Never includes secrets: no password, username, URL or TLS
 * settings.
 */
@ApiSchema({ name: 'ConfigResponse' })
export class ConfigResponse {
  @ApiProperty({ example: 'my-app' })
  redis_key_prefix!: string;
  @ApiProperty({ type: 'integer', example: 2 })
  concurrent_tasks!: number;
  @ApiProperty({ type: 'integer', example: 432000 })
  statistics_redis_expiration!: number;
  @ApiProperty({ type: 'integer', example: 500 })
  statistics_history_runs!: number;
  @ApiProperty({ example: true })
  allow_parallel!: boolean;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Null with Sentinel, Redis Cluster or a socket path.',
    example: 'localhost',
  })
  redis_host!: string | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 6379 })
  redis_port!: number | null;
  @ApiProperty({ type: 'integer', example: 0 })
  redis_db!: number;
  @ApiProperty({ example: 0.1 })
  poll_interval!: number;
  @ApiProperty({ example: 'nest-task-manager' })
  worker_service_name!: string;
  @ApiProperty({ type: 'integer', example: 5000 })
  stream_block_ms!: number;
  @ApiProperty({ example: 3 })
  leader_heartbeat_interval!: number;
  @ApiProperty({ example: 5 })
  leader_retry_interval!: number;
  @ApiProperty({ type: 'integer', example: 30 })
  reconciliation_interval!: number;
  @ApiProperty({ example: 1 })
  retry_backoff!: number;
  @ApiProperty({ example: 60 })
  retry_backoff_max!: number;
  @ApiProperty({ example: 2 })
  retry_backoff_multiplier!: number;
  @ApiProperty({ example: 3 })
  running_heartbeat_interval!: number;
  @ApiProperty({ description: 'Default IANA time zone of cron expressions.', example: 'UTC' })
  time_zone!: string;
  @ApiProperty({ enum: ['runOnce', 'skip', 'runAll'], example: 'runOnce' })
  misfire_policy!: string;
  @ApiProperty({ example: 5000 })
  misfire_tolerance_ms!: number;
  @ApiProperty({ type: 'integer', example: 10 })
  misfire_max_runs!: number;
  @ApiProperty({ example: 10000 })
  shutdown_timeout_ms!: number;
  @ApiProperty({
    description: 'Seconds a task no live instance declares any more keeps its schedule entry and state.',
    example: 3600,
  })
  orphaned_task_grace_period!: number;
  @ApiProperty({
    type: 'integer',
    description: 'Deliveries after which a run whose worker keeps stopping is recorded as failed.',
    example: 3,
  })
  max_deliveries!: number;
  @ApiProperty({
    type: 'integer',
    description: 'Replicas that acknowledge each publish and outcome (0: no wait).',
    example: 0,
  })
  wait_for_replicas!: number;
  @ApiProperty({ type: 'integer', example: 500 })
  wait_for_replicas_timeout_ms!: number;
  @ApiProperty({ type: 'integer', description: 'Largest kwargs of a dynamic task, in bytes of JSON.', example: 65536 })
  max_kwargs_bytes!: number;
  @ApiProperty({ example: true })
  auto_start!: boolean;
  @ApiProperty({
    type: 'integer',
    description: 'Partitions the tasks are split over (each its own hash tag and leader lease); 1: one hash tag.',
    example: 1,
  })
  partitions!: number;
}

/**
 * Every error (FastAPI's shape): `detail` is always one human-readable string. Validation failures also
 * list each problem in `errors`.
 */
@ApiSchema({ name: 'ErrorResponse' })
export class ErrorResponse {
  @ApiProperty({ example: 'No task matches task_group_name="Reports", tag="nope"' })
  detail!: string;
  @ApiPropertyOptional({
    type: [String],
    description: 'One entry per problem (validation failures only).',
    example: ['cron_expression must not be empty'],
  })
  errors?: string[];
}
