/**
 * The layout marker: how a deployment of several partitions tells others sharing its key prefix that it
 * keeps its tasks under partition tags. Its instances create, on the one-partition normal run stream
 * (`{prefix}:stream:normal`, which a deployment of several partitions never uses for runs), an empty consumer
 * group named `partitions:<P>`. A deployment of one partition, which has its own consumer group there, sees the
 * marker as a foreign group and refuses to start; one of several partitions refuses to start when that stream
 * holds any other group. A `:` is never part of a `workerServiceName`, so no deployment's consumer group can be
 * taken for a marker. A deployment of one partition writes no marker: its layout is that of earlier versions.
 *
 * While a repartition (`nestjs-task-manager/ops`) moves a deployment from P to Q partitions, the marker is the
 * group `repartition:<P>:<Q>` instead, on the same stream: an instance of either count (or any other) finds a
 * group that is not its own and refuses to start, until the repartition ends with the marker of Q (none for 1).
 */

const MARKER = /^partitions:(\d+)$/;
const REPARTITION_MARKER = /^repartition:(\d+):(\d+)$/;

/** The marker group of a deployment of `partitions` partitions. */
export function layoutMarker(partitions: number): string {
  return `partitions:${partitions}`;
}

/** The partition count a consumer group marks, if it is a layout marker. */
export function markedPartitions(group: string): number | undefined {
  const match = MARKER.exec(group);
  return match ? Number(match[1]) : undefined;
}

/** A repartition from `from` to `to` partitions, as its marker names it. */
export interface MarkedRepartition {
  readonly from: number;
  readonly to: number;
}

/** The marker group of a repartition from `from` to `to` partitions, in progress or interrupted. */
export function repartitionMarker({ from, to }: MarkedRepartition): string {
  return `repartition:${from}:${to}`;
}

/** The repartition a consumer group marks, if it is a repartition marker. */
export function markedRepartition(group: string): MarkedRepartition | undefined {
  const match = REPARTITION_MARKER.exec(group);
  return match ? { from: Number(match[1]), to: Number(match[2]) } : undefined;
}

/** Whether a consumer group is a marker (of a layout or of a repartition), not a deployment's group. */
export function isMarker(group: string): boolean {
  return markedPartitions(group) !== undefined || markedRepartition(group) !== undefined;
}

/** What the groups of the layout marker stream say about the key prefix's layout. */
export type MarkedLayout =
  /** No marker: one partition (or nothing yet). */
  | { readonly kind: 'partitions'; readonly partitions: number; readonly marker?: string }
  /** A repartition in progress or interrupted. */
  | { readonly kind: 'repartition'; readonly repartition: MarkedRepartition; readonly marker: string }
  /** Markers that contradict each other (two counts, a count and a repartition, or a count and a deployment's group). */
  | { readonly kind: 'conflict'; readonly groups: readonly string[] };

/**
 * Reads the layout of a key prefix from the consumer groups of its layout marker stream: a repartition's marker,
 * else one count's marker (alone), else one partition (the groups, if any, being that deployment's own).
 */
export function readMarkedLayout(groups: readonly string[]): MarkedLayout {
  const markers = groups.filter(isMarker);
  if (markers.length === 0) return { kind: 'partitions', partitions: 1 };
  if (markers.length === 1) {
    const [marker] = markers;
    const repartition = markedRepartition(marker);
    if (repartition) return { kind: 'repartition', repartition, marker };
    // A deployment of several partitions leaves no group of its own on this stream.
    if (groups.length === 1) return { kind: 'partitions', partitions: markedPartitions(marker)!, marker };
  }
  return { kind: 'conflict', groups: [...groups].sort() };
}
