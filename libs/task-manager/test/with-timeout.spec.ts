import { withDeadline, withTimeout } from '../src/engine/with-timeout.js';

const never = () => new Promise<never>(() => undefined);
const later = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('withDeadline / withTimeout: the one timeout race', () => {
  it('settles with the promise when it is in time', async () => {
    await expect(withDeadline(later(5, 'ok'), 1000, 'late')).resolves.toBe('ok');
    await expect(withDeadline(Promise.reject(new Error('boom')), 1000, 'late')).rejects.toThrow('boom');
    await expect(withTimeout(later(5, 'ok'), 1000)).resolves.toBe('ok');
  });

  it('rejects with an Error of the message, or what onTimeout returns (which may act), when late', async () => {
    await expect(withDeadline(never(), 10, 'no answer')).rejects.toThrow('no answer');
    const controller = new AbortController();
    const reason = new Error('timed out');
    const late = withDeadline(never(), 10, () => {
      controller.abort(reason);
      return reason;
    });
    await expect(late).rejects.toBe(reason);
    expect(controller.signal.reason).toBe(reason);
  });

  it('withTimeout: undefined when late or refused; a rejection after the deadline is swallowed', async () => {
    await expect(withTimeout(never(), 10)).resolves.toBeUndefined();
    await expect(withTimeout(Promise.reject(new Error('boom')), 1000)).resolves.toBeUndefined();
    const rejectsLate = new Promise((_, reject) => setTimeout(() => reject(new Error('late boom')), 30));
    await expect(withDeadline(rejectsLate, 5, 'late')).rejects.toThrow('late');
    await new Promise((resolve) => setTimeout(resolve, 50)); // (an unhandled rejection would fail the run)
  });

  it('clears its timer: a settled race keeps no timer pending', async () => {
    vi.useFakeTimers();
    try {
      await withDeadline(Promise.resolve(1), 60_000, 'late');
      await withTimeout(Promise.resolve(1), 60_000);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
