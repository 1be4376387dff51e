/**
 * `nestjs-task-manager/ops`: operations on a deployment's data, run while its instances are stopped.
 * - `repartition()`: moves a deployment to another partition count (the `partitions` option). The same from a
 *   shell: `npx nestjs-task-manager repartition --help`. See docs/deployment.md.
 */
export { repartition } from './repartition.js';
export type { RepartitionOptions, RepartitionSummary } from './repartition.options.js';
export { RepartitionRefusedError } from '../errors/repartition-refused.error.js';
export { RepartitionInterruptedError } from '../errors/repartition-interrupted.error.js';
