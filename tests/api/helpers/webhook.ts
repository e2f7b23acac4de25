// A webhook receiver on loopback: checks each call's HMAC-SHA256 signature and timestamp,
// answers 500 to the first `failFirst` calls, and records what it accepted.
import { createServer, type Server } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { freePort } from './server.js';

export interface Delivery {
  event: string;
  delivery: string;
  body: any;
  raw: string;
}

export class WebhookReceiver {
  port = 0;
  secret = '';
  accepted: Delivery[] = [];
  refusedSignatures = 0;
  failures = 0;
  /** How many of the next calls get a 500. */
  failFirst = 0;
  private server: Server | null = null;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Whether `header` (t=…,v1=…) signs `raw` with the secret, at most 5 minutes old. */
  verify(header: string, raw: string): boolean {
    const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
    const t = Number(parts.t);
    if (!Number.isInteger(t) || !parts.v1) return false;
    if (Math.abs(Date.now() / 1000 - t) > 300) return false;
    const expected = createHmac('sha256', this.secret).update(`${t}.${raw}`).digest('hex');
    const a = Buffer.from(expected, 'hex');
    const b = Buffer.from(parts.v1, 'hex');
    return a.length === b.length && timingSafeEqual(a, b);
  }

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        if (!this.verify(String(req.headers['waiver-signature'] ?? ''), raw)) {
          this.refusedSignatures++;
          res.writeHead(401).end();
          return;
        }
        if (this.failFirst > 0) {
          this.failFirst--;
          this.failures++;
          res.writeHead(500).end('try later');
          return;
        }
        this.accepted.push({
          event: String(req.headers['waiver-event'] ?? ''),
          delivery: String(req.headers['waiver-delivery'] ?? ''),
          body: JSON.parse(raw),
          raw,
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((ok) => this.server!.listen(this.port, '127.0.0.1', () => ok()));
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((ok) => s.close(() => ok()));
  }
}
