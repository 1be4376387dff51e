import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/options/resolve-options.js';
import { messages } from '../../src/task-manager.messages.js';
import {
  isMarker,
  layoutMarker,
  markedPartitions,
  markedRepartition,
  readMarkedLayout,
  repartitionMarker,
} from '../../src/wire/layout-marker.js';

const STREAMS = ['{app}:stream:high', '{app}:stream:normal'];

describe('wire: the layout marker of a deployment of several partitions', () => {
  it('is the consumer group partitions:<P>, read back as P', () => {
    // Part of the wire: instances of every version must write and read the same name.
    expect(layoutMarker(6)).toBe('partitions:6');
    for (const partitions of [2, 3, 6, 256]) expect(markedPartitions(layoutMarker(partitions))).toBe(partitions);
  });

  it('is never a consumer group of a workerServiceName (they cannot contain ":")', () => {
    for (const group of ['nest-task-manager', 'partitions-6', 'partitions', 'partitions:', 'partitions:6x', 'x:6'])
      expect(markedPartitions(group)).toBeUndefined();
    expect(() => resolveOptions({ keyPrefix: 'app', workerServiceName: 'partitions:6' }, '/nonexistent')).toThrow(
      /workerServiceName must be 1-100 letters, digits/,
    );
  });
});

describe('wire: the marker of a repartition in progress', () => {
  it('is the consumer group repartition:<from>:<to>, read back, never a layout nor a service', () => {
    expect(repartitionMarker({ from: 1, to: 6 })).toBe('repartition:1:6');
    expect(markedRepartition('repartition:6:3')).toEqual({ from: 6, to: 3 });
    for (const group of ['repartition:6', 'repartition', 'partitions:6', 'nest-task-manager', 'repartition:1:6x'])
      expect(markedRepartition(group)).toBeUndefined();
    expect(markedPartitions('repartition:1:6')).toBeUndefined();
    expect(['partitions:6', 'repartition:1:6', 'nest-task-manager'].map(isMarker)).toEqual([true, true, false]);
  });

  it('tells the layout from the groups of the marker stream', () => {
    expect(readMarkedLayout([])).toEqual({ kind: 'partitions', partitions: 1 });
    // A deployment of one partition: its own group only.
    expect(readMarkedLayout(['nest-task-manager'])).toEqual({ kind: 'partitions', partitions: 1 });
    expect(readMarkedLayout(['partitions:6'])).toEqual({ kind: 'partitions', partitions: 6, marker: 'partitions:6' });
    // A repartition from one partition keeps the deployment's group on the stream until its runs are moved.
    expect(readMarkedLayout(['nest-task-manager', 'repartition:1:6'])).toEqual({
      kind: 'repartition',
      repartition: { from: 1, to: 6 },
      marker: 'repartition:1:6',
    });
    for (const groups of [
      ['partitions:6', 'partitions:3'],
      ['partitions:6', 'nest-task-manager'],
      ['partitions:6', 'repartition:6:3'],
    ])
      expect(readMarkedLayout(groups)).toEqual({ kind: 'conflict', groups: [...groups].sort() });
  });
});

describe('messages: another layout on the key prefix', () => {
  it('a repartition in progress: every instance, of any count, is told to let it finish (or run it again)', () => {
    for (const text of [
      messages.foreignConsumerGroups('app', 'nest-task-manager', ['repartition:1:6'], STREAMS),
      messages.partitionsMismatch('app', 6, ['nest-task-manager', 'repartition:1:6'], STREAMS),
      messages.partitionsMismatch('app', 3, ['repartition:1:6'], STREAMS),
    ]) {
      expect(text).toContain(
        'A repartition of key prefix "app" from 1 to 6 partitions is in progress, or was interrupted',
      );
      expect(text).toContain('run it again to finish it');
      expect(text).toContain('`npx nestjs-task-manager repartition --redis <url> --key-prefix app --to 6`');
      expect(text).toContain('then start every instance with partitions: 6');
      expect(text).not.toContain('workerServiceName');
    }
  });

  it('another count: says how to move the deployment to this one', () => {
    expect(messages.partitionsMismatch('app', 6, ['partitions:3'], STREAMS)).toContain(
      'to move it to partitions: 6, stop every instance, run `npx nestjs-task-manager repartition --redis <url> ' +
        '--key-prefix app --to 6`, then start every instance with partitions: 6',
    );
  });

  it('one partition finding a marker: names the other count and the fixes, not a workerServiceName', () => {
    const text = messages.foreignConsumerGroups('app', 'nest-task-manager', ['partitions:6'], STREAMS);
    expect(text).toContain('Key prefix "app" is already used by a deployment with partitions: 6, while this instance');
    expect(text).toContain('has partitions: 1.');
    expect(text).toContain('Give every instance of one deployment the same `partitions` option');
    expect(text).toContain('its own keyPrefix');
    expect(text).toContain('needs a repartition');
    expect(text).toContain('XGROUP DESTROY {app}:stream:normal partitions:6 lets');
    expect(text).not.toContain('workerServiceName');
  });

  it('one partition finding a marker and another service: both said', () => {
    const text = messages.foreignConsumerGroups('app', 'svc-a', ['partitions:3', 'svc-b'], STREAMS);
    expect(text).toContain('with partitions: 3, while this instance has partitions: 1');
    expect(text).toContain('also used with workerServiceName "svc-b"');
    expect(text).toContain('XGROUP DESTROY {app}:stream:high svc-b; XGROUP DESTROY {app}:stream:normal svc-b.');
  });

  it('another service on a partitioned deployment: the other partitions named too', () => {
    const text = messages.foreignConsumerGroups('app', 'svc-a', ['svc-b'], ['{{app:0}:stream:high'], 6);
    expect(text).toContain('XGROUP DESTROY {{app:0}:stream:high svc-b, and the same on the run streams of the other 5');
  });

  it('several partitions finding a one-partition group or another marker', () => {
    const text = messages.partitionsMismatch('app', 6, ['nest-task-manager'], STREAMS);
    expect(text).toContain(
      'already used by a deployment with partitions: 1 (consumer group "nest-task-manager"), while this instance has partitions: 6',
    );
    expect(text).toContain(
      'XGROUP DESTROY {app}:stream:high nest-task-manager; XGROUP DESTROY {app}:stream:normal nest-task-manager lets',
    );
    expect(messages.partitionsMismatch('app', 6, ['partitions:3'], STREAMS)).toContain(
      'with partitions: 3, while this instance has partitions: 6',
    );
  });
});
