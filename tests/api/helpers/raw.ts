// Raw HTTP/1.1 over a net.Socket, for what no HTTP client will send: broken framing, header
// injection, unnormalised paths, slow clients. Reads one response (or notes that the server closed
// the connection without one).
import { Socket, connect } from 'node:net';

export interface RawResult {
  /** The status of the first response; undefined when the server closed without answering. */
  status?: number;
  headers: Record<string, string>;
  /** Every header line as sent (names in lower case), repeated names kept. */
  headerLines: [string, string][];
  body: string;
  /** The connection was closed (by the server or after a reset) before or after the answer. */
  closed: boolean;
  /** Milliseconds from the connection to the end of the exchange. */
  ms: number;
}

/** Parses the first HTTP response in `buf`; null while it is incomplete. */
function parseResponse(buf: Buffer, closed: boolean): Omit<RawResult, 'closed' | 'ms'> | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '');
  if (!m) return null;
  const headers: Record<string, string> = {};
  const headerLines: [string, string][] = [];
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    headers[name] = value;
    headerLines.push([name, value]);
  }
  const rest = buf.subarray(end + 4);
  const len = headers['content-length'] !== undefined ? Number(headers['content-length']) : undefined;
  if (len !== undefined) {
    if (rest.length < len) return closed ? { status: Number(m[1]), headers, headerLines, body: rest.toString('utf8') } : null;
    return { status: Number(m[1]), headers, headerLines, body: rest.subarray(0, len).toString('utf8') };
  }
  if (!closed) return null;
  return { status: Number(m[1]), headers, headerLines, body: rest.toString('utf8') };
}

/**
 * Connects to 127.0.0.1:port, writes each chunk (waiting `gapMs` between chunks), and resolves
 * with the first response, or with `closed` and no status when the server hangs up without one.
 * Gives up after `timeoutMs` (status undefined, closed false).
 */
export async function rawExchange(
  port: number,
  chunks: (string | Buffer)[],
  opts: { gapMs?: number; timeoutMs?: number } = {},
): Promise<RawResult> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return await new Promise<RawResult>((ok) => {
    const sock: Socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    let closed = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const parsed = parseResponse(buf, true);
      sock.destroy();
      ok({ ...(parsed ?? { headers: {}, headerLines: [], body: '' }), closed, ms: Date.now() - started });
    };
    const timer = setTimeout(finish, timeoutMs);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (parseResponse(buf, false)) finish();
    });
    sock.on('error', () => {
      closed = true;
      finish();
    });
    sock.on('close', () => {
      closed = true;
      finish();
    });
    sock.on('connect', async () => {
      for (let i = 0; i < chunks.length; i++) {
        if (done || sock.destroyed) return;
        sock.write(chunks[i]);
        if (opts.gapMs && i + 1 < chunks.length) await new Promise((r) => setTimeout(r, opts.gapMs));
      }
    });
  });
}

/** A request's bytes: request line, Host, the given header lines, a blank line and the body. */
export function rawRequest(requestLine: string, headerLines: string[] = [], body: string | Buffer = ''): Buffer {
  const head = [requestLine, 'Host: 127.0.0.1', ...headerLines, 'Connection: close', '', ''].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), typeof body === 'string' ? Buffer.from(body, 'utf8') : body]);
}

/** Opens a connection and keeps it open, idle; close() ends it. */
export async function idleConnection(port: number): Promise<{ socket: Socket; closedByServer: Promise<number> }> {
  const started = Date.now();
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((ok, fail) => {
    socket.once('connect', () => ok());
    socket.once('error', fail);
  });
  const closedByServer = new Promise<number>((ok) => {
    socket.on('error', () => undefined);
    socket.once('close', () => ok(Date.now() - started));
  });
  return { socket, closedByServer };
}

/**
 * One kept-alive connection, one request at a time: `send` writes a request (without
 * Connection: close) and resolves with its complete answer (Content-Length framing), or with
 * `closed` when the server hangs up first.
 */
export class KeptAlive {
  private buf = Buffer.alloc(0);
  private waiting: ((r: RawResult) => void) | null = null;
  private started = 0;
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.deliver(false);
    });
    const gone = () => {
      this.closed = true;
      this.deliver(true);
    };
    socket.on('error', gone);
    socket.on('close', gone);
  }

  static async open(port: number): Promise<KeptAlive> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((ok, fail) => {
      socket.once('connect', () => ok());
      socket.once('error', fail);
    });
    socket.setNoDelay(true);
    return new KeptAlive(socket);
  }

  private deliver(closed: boolean): void {
    if (!this.waiting) return;
    const parsed = parseResponse(this.buf, closed);
    if (!parsed && !closed) return;
    const end = this.buf.indexOf('\r\n\r\n');
    const len = parsed?.headers['content-length'];
    this.buf = parsed && end >= 0 && len !== undefined ? this.buf.subarray(end + 4 + Number(len)) : Buffer.alloc(0);
    const done = this.waiting;
    this.waiting = null;
    done({ ...(parsed ?? { headers: {}, headerLines: [], body: '' }), closed, ms: Date.now() - this.started });
  }

  send(method: string, path: string, headerLines: string[] = [], body = ''): Promise<RawResult> {
    const bytes = Buffer.from(
      [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...headerLines, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n'),
    );
    this.started = Date.now();
    const p = new Promise<RawResult>((ok) => {
      this.waiting = ok;
    });
    if (this.closed) this.deliver(true);
    else this.socket.write(bytes);
    return p;
  }

  close(): void {
    this.socket.destroy();
  }
}
