// A TCP proxy in front of one Redis server, for fault tests and the soak: each application instance gets
// its own proxy, so that the link of one instance can fail while the others keep theirs. It understands
// just enough RESP to pair each reply with the command that asked for it (per connection, in order), so it
// can swallow the reply to one command (e.g. an XREADGROUP that delivered runs) and then drop the
// connection: the command ran on the server, the client never learns its result.
//
// Faults: drop every connection; swallow the next reply to a matching command (then drop); freeze the link
// (nothing is forwarded either way, sockets stay open) and unfreeze it; add latency to every chunk.
// Plain JavaScript (no build step), typed by tcp-proxy.d.mts.
import { once } from 'node:events';
import { connect, createServer } from 'node:net';

/**
 * End offset of the RESP value starting at `offset` in `buffer`, or -1 when it is not complete yet.
 * RESP2 and the RESP3 aggregate/simple types.
 */
export function respEnd(buffer, offset = 0) {
  if (offset >= buffer.length) return -1;
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd < 0) return -1;
  const type = String.fromCharCode(buffer[offset]);
  const header = buffer.toString('latin1', offset + 1, lineEnd);
  const afterHeader = lineEnd + 2;
  switch (type) {
    case '+':
    case '-':
    case ':':
    case '_':
    case ',':
    case '#':
    case '(':
      return afterHeader;
    case '$':
    case '=':
    case '!': {
      const length = Number(header);
      if (length < 0) return afterHeader;
      const end = afterHeader + length + 2;
      return end <= buffer.length ? end : -1;
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      const count = Number(header) * (type === '%' || type === '|' ? 2 : 1);
      let position = afterHeader;
      for (let i = 0; i < count; i++) {
        position = respEnd(buffer, position);
        if (position < 0) return -1;
      }
      return count < 0 ? afterHeader : position;
    }
    default:
      // An inline command (no type byte): one line.
      return afterHeader;
  }
}

/** Name of the command in a complete RESP request (an array of bulk strings), upper case. */
function commandName(buffer, offset) {
  if (buffer[offset] !== 0x2a /* '*' */) {
    const line = buffer.toString('latin1', offset, buffer.indexOf('\r\n', offset));
    return line.trim().split(/\s+/)[0]?.toUpperCase() ?? '';
  }
  const first = buffer.indexOf('\r\n', offset) + 2;
  if (buffer[first] !== 0x24 /* '$' */) return '';
  const lengthEnd = buffer.indexOf('\r\n', first);
  const length = Number(buffer.toString('latin1', first + 1, lengthEnd));
  return buffer.toString('latin1', lengthEnd + 2, lengthEnd + 2 + length).toUpperCase();
}

/** The whole request as text (for matching scripts by their keys or arguments), at most 4 KiB. */
function requestText(buffer, offset, end) {
  return buffer.toString('latin1', offset, Math.min(end, offset + 4096));
}

/** Whether a reply is "empty": a null bulk / null array / RESP3 null. */
function isNullReply(buffer, offset) {
  const type = String.fromCharCode(buffer[offset]);
  if (type === '_') return true;
  if (type !== '*' && type !== '$') return false;
  return buffer.toString('latin1', offset + 1, offset + 3) === '-1';
}

/** One direction of a link: an ordered queue of chunks released after the latency, held while frozen. */
class Pipe {
  constructor(proxy, target) {
    this.proxy = proxy;
    this.target = target;
    this.queue = [];
    this.timer = undefined;
  }

  push(chunk) {
    if (chunk.length === 0) return;
    this.queue.push({ chunk, at: Date.now() + this.proxy.latencyMs });
    this.pump();
  }

  pump() {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.proxy.frozen) return;
    const now = Date.now();
    while (this.queue.length > 0 && this.queue[0].at <= now) {
      const { chunk } = this.queue.shift();
      if (!this.target.destroyed) this.target.write(chunk);
    }
    if (this.queue.length > 0) this.timer = setTimeout(() => this.pump(), this.queue[0].at - now);
  }

  clear() {
    clearTimeout(this.timer);
    this.queue = [];
  }
}

/** One client connection and its upstream connection. */
class Link {
  constructor(proxy, client) {
    this.proxy = proxy;
    this.client = client;
    this.upstream = connect(proxy.target.port, proxy.target.host);
    this.toUpstream = new Pipe(proxy, this.upstream);
    this.toClient = new Pipe(proxy, client);
    /** Requests sent and not answered yet, in order: { name, text }. */
    this.pending = [];
    this.requestBuffer = Buffer.alloc(0);
    this.replyBuffer = Buffer.alloc(0);
    this.closed = false;
    client.setNoDelay(true);
    this.upstream.setNoDelay(true);
    client.on('data', (chunk) => this.onRequestData(chunk));
    this.upstream.on('data', (chunk) => this.onReplyData(chunk));
    for (const socket of [client, this.upstream]) {
      socket.on('error', () => this.close());
      socket.on('close', () => this.close());
    }
  }

  onRequestData(chunk) {
    this.requestBuffer = Buffer.concat([this.requestBuffer, chunk]);
    let offset = 0;
    for (;;) {
      const end = respEnd(this.requestBuffer, offset);
      if (end < 0) break;
      this.pending.push({
        name: commandName(this.requestBuffer, offset),
        text: requestText(this.requestBuffer, offset, end),
      });
      offset = end;
    }
    this.requestBuffer = this.requestBuffer.subarray(offset);
    this.toUpstream.push(chunk);
  }

  onReplyData(chunk) {
    this.replyBuffer = Buffer.concat([this.replyBuffer, chunk]);
    let offset = 0;
    let forwardFrom = 0;
    for (;;) {
      const end = respEnd(this.replyBuffer, offset);
      if (end < 0) break;
      const request = this.replyBuffer[offset] === 0x3e /* '>' push */ ? undefined : this.pending.shift();
      const rule = request && this.proxy.matchSwallow(request, this.replyBuffer, offset);
      if (rule) {
        this.toClient.push(this.replyBuffer.subarray(forwardFrom, offset));
        this.proxy.swallowed.push({ command: request.name, at: Date.now() });
        rule.resolve({ command: request.name, text: request.text });
        if (rule.thenDrop) {
          this.toClient.pump();
          this.close();
          return;
        }
        forwardFrom = end;
      }
      offset = end;
    }
    this.toClient.push(this.replyBuffer.subarray(forwardFrom, offset));
    this.replyBuffer = this.replyBuffer.subarray(offset);
  }

  pump() {
    this.toUpstream.pump();
    this.toClient.pump();
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.toUpstream.clear();
    this.toClient.clear();
    this.client.destroy();
    this.upstream.destroy();
    this.proxy.links.delete(this);
  }
}

/** A proxy listening on 127.0.0.1, forwarding to one Redis server. */
export class TcpProxy {
  constructor(target) {
    this.target = target;
    this.links = new Set();
    this.frozen = false;
    this.latencyMs = 0;
    this.rules = [];
    this.swallowed = [];
    this.dropped = 0;
    this.connections = 0;
    this.server = createServer((client) => {
      this.connections++;
      this.links.add(new Link(this, client));
    });
  }

  async listen(port = 0) {
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = this.server.address().port;
    return this;
  }

  /** `redis://127.0.0.1:<port>` (the target's db and credentials are not carried over). */
  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** `url` (a redis:// URL of the target) pointed at this proxy: credentials and db kept. */
  urlFor(url) {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(this.port);
    return proxied.toString();
  }

  /** Closes every open connection (clients reconnect through the proxy). */
  dropAll() {
    this.dropped += this.links.size;
    for (const link of this.links) link.close();
  }

  /** Stops forwarding in both directions; the sockets stay open (a hung link). */
  freeze() {
    this.frozen = true;
  }

  /** Forwards again what was held, then everything else. */
  unfreeze() {
    this.frozen = false;
    for (const link of this.links) link.pump();
  }

  /** Delays every chunk by `ms` in both directions (order kept). */
  setLatency(ms) {
    this.latencyMs = Math.max(0, ms);
  }

  /**
   * Swallows the next reply to a command whose name matches `pattern` (a RegExp tested on the command name,
   * or on the whole request when `onRequest` is set). With `nonEmpty`, null replies (an XREADGROUP that timed
   * out) do not count. With `thenDrop` (default), the connection is closed right after, so the client
   * never sees the reply. Resolves when a reply was swallowed.
   */
  swallowNextReply(pattern, { nonEmpty = true, thenDrop = true, onRequest = false } = {}) {
    return new Promise((resolve) => {
      this.rules.push({ pattern, nonEmpty, thenDrop, onRequest, resolve });
    });
  }

  /** Forgets the swallow rules that did not match yet (their promises never settle). */
  cancelSwallows() {
    this.rules = [];
  }

  /** The first rule matching a reply (removed: each rule swallows once). */
  matchSwallow(request, buffer, offset) {
    const index = this.rules.findIndex(
      (rule) =>
        rule.pattern.test(rule.onRequest ? request.text : request.name) &&
        !(rule.nonEmpty && isNullReply(buffer, offset)),
    );
    if (index < 0) return undefined;
    return this.rules.splice(index, 1)[0];
  }

  /** Stops listening and closes every connection. */
  async close() {
    this.unfreeze();
    this.dropAll();
    await new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Starts a proxy to `target` (a `redis://host:port` URL or `{ host, port }`) on a free loopback port, or on
 * `port` (e.g. to restart a proxy where its clients reconnect).
 */
export async function startTcpProxy(target, port = 0) {
  const resolved =
    typeof target === 'string'
      ? (() => {
          const url = new URL(target);
          return { host: url.hostname, port: Number(url.port || 6379) };
        })()
      : target;
  return new TcpProxy(resolved).listen(port);
}
