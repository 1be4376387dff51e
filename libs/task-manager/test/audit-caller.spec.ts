/** Who the audit names as the caller of an admin action: what the guards put on the request, else the address. */
import { describe, expect, it } from 'vitest';
import { callerOf } from '../src/api/audit.js';

describe('callerOf', () => {
  it('takes request.user itself when it is a string or a number', () => {
    expect(callerOf({ user: 'alice', ip: '10.0.0.1' })).toBe('alice');
    expect(callerOf({ user: 42, ip: '10.0.0.1' })).toBe('42');
  });

  it('takes the first of id, sub, username, name, email of a user object', () => {
    expect(callerOf({ user: { sub: 'auth0|7', email: 'a@x.io' } })).toBe('auth0|7');
    expect(callerOf({ user: { email: 'a@x.io', name: 'Ann' } })).toBe('Ann');
    expect(callerOf({ user: { id: 7, username: 'ann' } })).toBe('7');
  });

  it('falls back to the remote address when no user names the caller', () => {
    expect(callerOf({ user: { roles: ['admin'] }, ip: '10.0.0.1' })).toBe('10.0.0.1');
    expect(callerOf({ socket: { remoteAddress: '::1' } })).toBe('::1');
    expect(callerOf({})).toBe('unknown');
  });
});
