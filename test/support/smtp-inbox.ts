// An SMTP server in-process for the e-mail tests (smtp-server on 127.0.0.1, no authentication): every
// message is kept with its raw source; `refuse` answers a recipient with an SMTP error instead.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Arrived {
  to: string[];
  raw: string;
}

/** An SMTP server that keeps what arrives; `refuse` answers a recipient with an SMTP error instead. */
export class Inbox {
  readonly arrived: Arrived[] = [];
  refuse: (to: string, attempt: number) => { code: number; message: string } | null = () => null;
  private tries = new Map<string, number>();
  private server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo: (address, _session, callback) => {
      const attempt = (this.tries.get(address.address) ?? 0) + 1;
      this.tries.set(address.address, attempt);
      const refusal = this.refuse(address.address, attempt);
      if (!refusal) return callback();
      const error = new Error(refusal.message) as Error & { responseCode: number };
      error.responseCode = refusal.code;
      return callback(error);
    },
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        this.arrived.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  url = '';
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`;
    return this;
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
  async waitFor(count: number, ms = 15_000): Promise<Arrived[]> {
    const deadline = Date.now() + ms;
    while (this.arrived.length < count) {
      if (Date.now() > deadline) assert.fail(`expected ${count} messages, got ${this.arrived.length}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.arrived;
  }
}

/** The decoded text of a raw message's parts (quoted-printable and base64 bodies undone, roughly). */
export function decoded(raw: string): string {
  const unfolded = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(unfolded, 'latin1').toString('utf8');
}
