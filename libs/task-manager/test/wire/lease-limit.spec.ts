import { describe, expect, it } from 'vitest';
import { leaseLimit, outcomeLeaseLimit } from '../../src/wire/lease-limit.js';

const backoff = { retryBackoff: 4, retryBackoffMax: 60, maxAttempts: 3 };

describe('leaseLimit', () => {
  it('is one TTL after publication or the last renewal here, whichever is later', () => {
    expect(leaseLimit({ messageId: '1000-0', leaseUntil: 5000 }, 3000)).toBe(5000);
    expect(leaseLimit({ messageId: '9000-0', leaseUntil: 5000 }, 3000)).toBe(12_000);
    expect(leaseLimit({ messageId: '9000-0', leaseUntil: 5000 })).toBe(5000);
  });
});

describe('outcomeLeaseLimit (finding 5)', () => {
  it('caps a failure that queues a retry at half the shortest retry delay after its first sending', () => {
    const failed = { status: 'failed' as const };
    expect(outcomeLeaseLimit({ leaseUntil: 50_000, attempt: 1 }, failed, backoff, 10_000)).toBe(12_000);
    // (A retry delay capped by retryBackoffMax below retryBackoff: the shorter one.)
    expect(
      outcomeLeaseLimit({ leaseUntil: 50_000, attempt: 1 }, failed, { ...backoff, retryBackoffMax: 1 }, 10_000),
    ).toBe(10_500);
    expect(outcomeLeaseLimit({ leaseUntil: 11_000, attempt: 1 }, failed, backoff, 10_000)).toBe(11_000);
    expect(outcomeLeaseLimit({ leaseUntil: undefined, attempt: 1 }, failed, backoff, 10_000)).toBe(0);
  });

  it('leaves the limit of a success, and of a last attempt (no retry queued), as it is', () => {
    expect(outcomeLeaseLimit({ leaseUntil: 50_000, attempt: 1 }, { status: 'success' }, backoff, 10_000)).toBe(50_000);
    expect(outcomeLeaseLimit({ leaseUntil: 50_000, attempt: 3 }, { status: 'failed' }, backoff, 10_000)).toBe(50_000);
    expect(outcomeLeaseLimit({ leaseUntil: undefined, attempt: 3 }, { status: 'failed' }, backoff, 10_000)).toBe(
      undefined,
    );
  });
});
