// A real SMTP server on loopback (nodemailer's smtp-server), collecting every message it
// accepts, parsed with mailparser. It can be stopped and started again on the same port, to
// show that mail queued while it was down is delivered once it is back.
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { freePort } from './server.js';

export interface Mail {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  inReplyTo: string;
  references: string;
  /** The envelope's recipients, as the SMTP client sent them. */
  rcpt: string[];
}

export class MailServer {
  port = 0;
  readonly mails: Mail[] = [];
  private server: SMTPServer | null = null;
  /** Answer `RCPT TO` for these addresses with a permanent error. */
  refuse = new Set<string>();

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo: (address, _session, cb) => {
        if (this.refuse.has(address.address)) return cb(new Error('550 no such user here'));
        cb();
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', async () => {
          try {
            const parsed = await simpleParser(Buffer.concat(chunks));
            const to = Array.isArray(parsed.to) ? parsed.to.map((t) => t.text).join(', ') : parsed.to?.text ?? '';
            this.mails.push({
              to,
              from: parsed.from?.text ?? '',
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              messageId: parsed.messageId ?? '',
              inReplyTo: parsed.inReplyTo ?? '',
              references: Array.isArray(parsed.references) ? parsed.references.join(' ') : parsed.references ?? '',
              rcpt: session.envelope.rcptTo.map((r) => r.address),
            });
            cb();
          } catch (e) {
            cb(e as Error);
          }
        });
      },
    });
    await new Promise<void>((ok, fail) => {
      this.server!.once('error', fail);
      this.server!.listen(this.port, '127.0.0.1', () => ok());
    });
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((ok) => s.close(() => ok()));
  }

  /** The mails to `address` (an email), in arrival order. */
  to(address: string): Mail[] {
    return this.mails.filter((m) => m.rcpt.includes(address));
  }

  /** Waits until `pred` holds for the collected mails (polling), or fails after `ms`. */
  async waitFor(pred: (mails: Mail[]) => boolean, ms = 15_000, what = 'mails'): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (pred(this.mails)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}; got:\n${this.mails.map((m) => `  ${m.rcpt} ${m.subject}`).join('\n')}`);
  }

  clear(): void {
    this.mails.length = 0;
  }
}
