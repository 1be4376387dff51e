/** A task as `GET /tasks` answers it (the fields the helper reads). */
export interface ListedTask {
  name: string;
  task_group_name: string;
  expression: string;
  kwargs?: Record<string, unknown> | null;
  dynamic?: boolean;
  function_name?: string | null;
  description?: string | null;
  high_priority?: boolean;
  tags?: string[] | null;
  retry_backoff?: number | null;
  retry_backoff_max?: number | null;
  allow_parallel?: boolean | null;
}

export function parseOriginalName(name: string): { base: string; kwargsHash?: string; expressionHash?: string };
export function pythonRepr(value: unknown): string;
export function originalKwargsHash(kwargs: Record<string, unknown> | null | undefined): string;
export function originalExpressionHash(expression: string): string;
export function mapTaskNames(
  original: ListedTask[],
  ours: ListedTask[],
): {
  mapped: Array<{ task_group_name: string; fastapi: string; ours: string }>;
  unmatched: Array<{ task_group_name: string; fastapi: string; reason: string }>;
  recreate: Array<Record<string, unknown>>;
};
