// Delivering one webhook message (the outbox handler of kind 'webhook'), by the Standard Webhooks
// specification (standardwebhooks.com): a POST of the stored JSON body with
//   webhook-id         the message id, the same on every retry
//   webhook-timestamp  unix seconds of this attempt
//   webhook-signature  v1,<base64 HMAC-SHA256 of "id.timestamp.body", keyed with the base64-decoded part
//                      of the endpoint's whsec_ secret>
// Bounded: the whole attempt (DNS, connect, answer) within timeoutMs, at most maxResponseBytes of the answer
// read; a redirect is a failure, never followed. The host is resolved and checked (network-guard.ts) at
// each attempt, and the connection goes to the address that was checked. A 2xx answer delivers; anything
// else is retried on the schedule below; an endpoint failing for disableAfterSeconds is disabled.
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Queryable } from '../../db/database.js';
import type { Change } from '../../domain/changes.js';
import type { AttemptRecord, OutboxMessage } from '../outbox/outbox-repository.js';
import type { AttemptOutcome, OutboxHandler } from '../outbox/outbox-worker.js';
import { parseWebhookUrl, resolveTarget, type ResolvedTarget, UnsafeTarget } from './network-guard.js';
import { cancelPending, disableFailing, findTarget, noteAttempt } from './webhook-repository.js';

/** 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over about 27.6 hours. */
export const DEFAULT_RETRY_DELAYS_SECONDS: readonly number[] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];
/** An endpoint whose deliveries all failed for this long is disabled. */
export const DISABLE_AFTER_SECONDS = 24 * 3600;

export interface WebhookDeliveryOptions {
  allowPrivateNetworks: boolean;
  timeoutMs?: number;
  maxResponseBytes?: number;
  retryDelaysSeconds?: readonly number[];
  disableAfterSeconds?: number;
  /** Told when an endpoint is disabled for failing (the log). */
  onDisabled?: (endpointId: number) => void;
}

/** A new signing secret: whsec_ and the base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The webhook-signature value of one attempt. */
export function signWebhook(secret: string, messageId: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${messageId}.${timestamp}.${body}`).digest('base64')}`;
}

interface PostResult {
  status: number | null;
  error: string | null;
}

/** POSTs `body` to `url`, connecting to `target` only; resolves (never rejects) with the status or the error. */
function post(
  url: URL,
  target: ResolvedTarget,
  headers: Record<string, string>,
  body: string,
  limits: { timeoutMs: number; maxResponseBytes: number },
  signal: AbortSignal,
): Promise<PostResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      request.destroy();
      resolve(result);
    };
    // The connection goes to the address that was checked, whatever DNS says now.
    const pinned: LookupFunction = (_hostname, options, callback) => {
      if ((options as { all?: boolean }).all) callback(null, [{ address: target.address, family: target.family }]);
      else callback(null, target.address, target.family);
    };
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: pinned,
      agent: false,
    });
    const timer = setTimeout(() => finish({ status: null, error: `no answer within ${limits.timeoutMs} ms` }), limits.timeoutMs);
    const onAbort = () => finish({ status: null, error: 'the server shut down during the delivery' });
    signal.addEventListener('abort', onAbort);
    request.on('error', (error: NodeJS.ErrnoException) => finish({ status: null, error: error.code ?? error.message }));
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        // Enough is read to know the answer; the rest is not wanted.
        if (read >= limits.maxResponseBytes) finish(verdict(status));
      });
      response.on('end', () => finish(verdict(status)));
      response.on('error', () => finish(verdict(status)));
    });
    request.end(body);
  });
}

function verdict(status: number): PostResult {
  if (status >= 200 && status < 300) return { status, error: null };
  if (status >= 300 && status < 400) return { status, error: `answered ${status}: a redirect, not followed` };
  return { status, error: `answered ${status}` };
}

/** Sends one message to its endpoint, signed; the outcome of the attempt. */
export async function deliverWebhook(
  db: Queryable,
  message: OutboxMessage,
  options: Required<Pick<WebhookDeliveryOptions, 'allowPrivateNetworks' | 'timeoutMs' | 'maxResponseBytes'>>,
  signal: AbortSignal,
): Promise<AttemptOutcome> {
  const endpoint = message.targetId === null ? undefined : await findTarget(db, message.targetId);
  if (!endpoint || !endpoint.enabled) return { cancelled: 'the endpoint is disabled or gone' };
  const startedAt = new Date();
  const began = performance.now();
  const done = (result: PostResult) => ({
    startedAt,
    durationMs: performance.now() - began,
    ok: result.error === null,
    status: result.status,
    error: result.error,
  });
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]);
  let url: URL;
  let target: ResolvedTarget;
  try {
    url = parseWebhookUrl(endpoint.url);
    target = await Promise.race([
      resolveTarget(url, options.allowPrivateNetworks),
      new Promise<never>((_resolve, reject) => {
        if (deadline.aborted) reject(new UnsafeTarget('no answer in time'));
        deadline.addEventListener('abort', () => reject(new UnsafeTarget(`no address for the host within ${options.timeoutMs} ms`)));
      }),
    ]);
  } catch (error) {
    return done({ status: null, error: `refused: the URL ${(error as Error).message}` });
  }
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'Barona-Webhooks/1',
    'webhook-id': message.messageId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(endpoint.secret, message.messageId, timestamp, message.body),
  };
  const remaining = Math.max(1, options.timeoutMs - (performance.now() - began));
  return done(await post(url, target, headers, message.body, { timeoutMs: remaining, maxResponseBytes: options.maxResponseBytes }, signal));
}

/** The outbox handler of kind 'webhook'. */
export function webhookHandler(db: Queryable, options: WebhookDeliveryOptions): OutboxHandler {
  const limits = {
    allowPrivateNetworks: options.allowPrivateNetworks,
    timeoutMs: options.timeoutMs ?? 10_000,
    maxResponseBytes: options.maxResponseBytes ?? 64 * 1024,
  };
  const disableAfter = options.disableAfterSeconds ?? DISABLE_AFTER_SECONDS;
  return {
    retryDelaysSeconds: options.retryDelaysSeconds ?? DEFAULT_RETRY_DELAYS_SECONDS,
    deliver: (message, signal) => deliverWebhook(db, message, limits, signal),
    async settled(change: Change, message: OutboxMessage, outcome: AttemptRecord) {
      if (message.targetId === null) return;
      const { failingTooLong } = await noteAttempt(change.tx, message.targetId, outcome, disableAfter);
      if (!failingTooLong) return;
      const disabled = await disableFailing(change.tx, message.targetId);
      if (!disabled) return;
      const cancelled = await cancelPending(change.tx, message.targetId);
      await change.audit({
        action: 'disable',
        entity: 'webhook',
        entityId: message.targetId,
        before: { enabled: true },
        after: {
          enabled: false,
          reason: `every delivery failed for ${Math.round(disableAfter / 3600)} hours`,
          cancelledMessages: cancelled,
        },
      });
      options.onDisabled?.(message.targetId);
    },
  };
}
