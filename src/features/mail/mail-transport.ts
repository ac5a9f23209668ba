// Sending one message (the outbox handler of kind 'mail') over SMTP with nodemailer: the rendered
// message stored in the outbox (mail-repository.ts MailBody), from MAIL_FROM, to SMTP_URL's server.
//
// What an attempt comes to, by the server's reply:
//   2xx          delivered (handed to the mail server; what happens after is the server's business)
//   5xx          refused for good (unknown mailbox, policy): recorded as failed, never retried; except
//                a refused sign-in (535 and the like), which is the server's configuration, not this
//                message's fault: retried, so fixing SMTP_URL lets the queue go out
//   4xx, no answer, a lost connection or a time-out: retried on the webhooks' schedule (about a day)
// A message cancelled after it was claimed (its person erased meanwhile) is not sent: the state is read
// again just before sending.
import nodemailer, { type Transporter } from 'nodemailer';
import type { MailConfig } from '../../config.js';
import type { Queryable } from '../../db/database.js';
import { DEFAULT_RETRY_DELAYS_SECONDS } from '../webhooks/webhook-delivery.js';
import type { AttemptOutcome, OutboxHandler, OutboxMessage } from '../outbox/outbox-worker.js';
import { type MailBody, stillPending } from './mail-repository.js';

export interface MailTransportOptions {
  /** When given, a message cancelled since it was claimed (its person erased) is not sent. */
  db?: Queryable;
  retryDelaysSeconds?: readonly number[];
  /** Connecting, the greeting and each later step must each answer within this (ms). */
  timeoutMs?: number;
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
}

/** The outbox handler of kind 'mail'. */
export function mailHandler(config: MailConfig, options: MailTransportOptions = {}): OutboxHandler {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const transport = nodemailer.createTransport({
    url: config.smtpUrl.toString(),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  return {
    retryDelaysSeconds: options.retryDelaysSeconds ?? DEFAULT_RETRY_DELAYS_SECONDS,
    deliver: async (message, signal) => {
      // Looked at once more just before sending: an erasure since the claim cancelled it.
      if (options.db && !(await stillPending(options.db, message.id))) return { cancelled: 'cancelled since it was claimed' };
      return send(transport, config.from, message, signal);
    },
  };
}

async function send(transport: Transporter, from: string, message: OutboxMessage, signal: AbortSignal): Promise<AttemptOutcome> {
  const startedAt = new Date();
  const began = performance.now();
  const body = JSON.parse(message.body) as MailBody;
  const done = (ok: boolean, status: number | null, error: string | null, final = false) => ({
    startedAt,
    durationMs: performance.now() - began,
    ok,
    status,
    error,
    final,
  });
  const sending = transport.sendMail({
    from,
    to: body.to,
    subject: body.subject,
    text: body.text,
    html: body.html,
    messageId: `<${message.messageId}@barona>`,
    attachments: (body.attachments ?? []).map((a) => ({
      cid: a.cid,
      filename: a.filename,
      contentType: a.contentType,
      content: Buffer.from(a.base64, 'base64'),
      contentDisposition: 'inline' as const,
    })),
  });
  const aborted = new Promise<never>((_resolve, reject) => {
    if (signal.aborted) reject(new Error('the server shut down during the delivery'));
    signal.addEventListener('abort', () => reject(new Error('the server shut down during the delivery')), { once: true });
  });
  try {
    const info = (await Promise.race([sending, aborted])) as { response?: string };
    return done(true, replyCode(info.response) ?? 250, null);
  } catch (error) {
    sending.catch(() => {}); // settled later, or never read: not an unhandled rejection
    const e = error as SmtpError;
    const status = typeof e.responseCode === 'number' ? e.responseCode : null;
    const reason = (e.response ?? e.message).slice(0, 500);
    const refusedForGood = status !== null && status >= 500 && status < 600 && e.code !== 'EAUTH';
    return done(false, status, status === null ? `${e.code ? `${e.code}: ` : ''}${reason}` : reason, refusedForGood);
  }
}

/** '250 2.0.0 OK: queued as …' → 250. */
function replyCode(response: string | undefined): number | undefined {
  const match = /^(\d{3})\b/.exec(response ?? '');
  return match ? Number(match[1]) : undefined;
}
