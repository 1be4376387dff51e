/** Raised by a scheduling script called with a fencing token that is no longer the current leader's. */
export class LeadershipLostError extends Error {
  override readonly name = 'LeadershipLostError';
  constructor() {
    super('Leadership lost: the fencing token is stale; this instance stopped scheduling.');
  }
}
