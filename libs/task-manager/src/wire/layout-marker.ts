/**
 * The layout marker: how a deployment of several partitions tells others sharing its key prefix that it
 * keeps its tasks under partition tags. Its instances create, on the one-partition normal run stream
 * (`{prefix}:stream:normal`, which a deployment of several partitions never uses for runs), an empty consumer
 * group named `partitions:<P>`. A deployment of one partition, which has its own consumer group there, sees the
 * marker as a foreign group and refuses to start; one of several partitions refuses to start when that stream
 * holds any other group. A `:` is never part of a `workerServiceName`, so no deployment's consumer group can be
 * taken for a marker. A deployment of one partition writes no marker: its layout is that of earlier versions.
 */

const MARKER = /^partitions:(\d+)$/;

/** The marker group of a deployment of `partitions` partitions. */
export function layoutMarker(partitions: number): string {
  return `partitions:${partitions}`;
}

/** The partition count a consumer group marks, if it is a layout marker. */
export function markedPartitions(group: string): number | undefined {
  const match = MARKER.exec(group);
  return match ? Number(match[1]) : undefined;
}
