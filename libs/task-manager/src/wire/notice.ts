import type { ChangeNotice } from '../engine/coordination.port.js';

/**
 * A change notice: what the instances tell each other over pub/sub (channel `events`), the JSON object
 * `{"type":"schedule","origin":"<workerId>"}`. The in-process driver passes the object itself. Lua: the
 * scripts that publish one get it encoded as an argument.
 */
export function changeNotice(type: ChangeNotice['type'], origin: string): ChangeNotice {
  return { type, origin };
}

export function encodeNotice(notice: ChangeNotice): string {
  return JSON.stringify(notice);
}

/** The notice a message carries, or undefined when it carries none. */
export function decodeNotice(message: string): ChangeNotice | undefined {
  try {
    const notice = JSON.parse(message) as ChangeNotice | null;
    return typeof notice?.type === 'string' ? notice : undefined;
  } catch {
    return undefined;
  }
}
