// Clients for the fault suite: keep-alive HTTP writers at full speed, raw TCP requests for hostile input,
// and the server process's resident memory. Only ever pointed at 127.0.0.1.
import http from 'node:http';
import net from 'node:net';
import { readFileSync } from 'node:fs';

export interface Outcome {
  /** Unique per request; sent as X-Request-Id and used as the check-in's last name. */
  id: string;
  status?: number;
  body?: string;
  /** A connection-level failure (ECONNREFUSED, ECONNRESET, ...), or HUNG when the bound ran out. */
  error?: string;
  startedAt: number;
  ms: number;
}

/** POSTs `body` as JSON; never rejects: every way it can end is an Outcome. */
export function postJson(agent: http.Agent, url: string, path: string, id: string, body: unknown, boundMs: number): Promise<Outcome> {
  const startedAt = Date.now();
  const payload = JSON.stringify(body);
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: Omit<Outcome, 'id' | 'startedAt' | 'ms'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ id, startedAt, ms: Date.now() - startedAt, ...result });
    };
    const target = new URL(path, url);
    const request = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'x-request-id': id },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => done({ status: response.statusCode, body: text }));
        response.on('error', (error: NodeJS.ErrnoException) => done({ error: error.code ?? error.message }));
      },
    );
    const timer = setTimeout(() => {
      done({ error: 'HUNG' });
      request.destroy();
    }, boundMs);
    request.on('error', (error: NodeJS.ErrnoException) => done({ error: error.code ?? error.message }));
    request.end(payload);
  });
}

export function getJson(
  url: string,
  boundMs = 5_000,
): Promise<{ status?: number; json?: Record<string, unknown>; error?: string; ms: number }> {
  const started = Date.now();
  return fetch(url, { signal: AbortSignal.timeout(boundMs), headers: { connection: 'close' } }).then(
    async (response) => ({ status: response.status, json: (await response.json()) as Record<string, unknown>, ms: Date.now() - started }),
    (error: Error & { cause?: { code?: string } }) => ({ error: error.cause?.code ?? error.name, ms: Date.now() - started }),
  );
}

/**
 * `concurrency` loops each creating check-ins back to back until `running()` turns false. Each request has
 * a unique id (`${prefix}-${n}`) used as X-Request-Id and as the last name, so the database can be checked.
 */
export async function createCheckinsFlat(options: {
  url: string;
  prefix: string;
  concurrency: number;
  running: () => boolean;
  boundMs: number;
  /** Pause after a connection error, so a refused port does not turn into a busy loop. */
  pauseAfterErrorMs?: number;
}): Promise<Outcome[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const outcomes: Outcome[] = [];
  let next = 0;
  const worker = async () => {
    while (options.running()) {
      const id = `${options.prefix}-${next++}`;
      const outcome = await postJson(
        agent,
        options.url,
        '/table/create',
        id,
        { firstname: 'Fault', lastname: id, gate: 'F' },
        options.boundMs,
      );
      outcomes.push(outcome);
      if (outcome.error) await new Promise((resolve) => setTimeout(resolve, options.pauseAfterErrorMs ?? 20));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  agent.destroy();
  return outcomes;
}

export interface RawAnswer {
  status?: number;
  /** How the connection ended when no status line came back. */
  error?: string;
  head: string;
  ms: number;
}

/** Sends `bytes` on a fresh TCP connection and reads until the server closes it (or `boundMs`). */
export function rawRequest(port: number, bytes: Buffer, boundMs = 10_000): Promise<RawAnswer> {
  const started = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = net.connect(port, '127.0.0.1');
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const head = text.split('\r\n\r\n')[0] ?? '';
      resolve(
        match
          ? { status: Number(match[1]), head, ms: Date.now() - started }
          : { error: error ?? 'closed without an answer', head, ms: Date.now() - started },
      );
    };
    const timer = setTimeout(() => finish('HUNG'), boundMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    // No half-close after writing: Node's HTTP server aborts a request whose client ends its side early.
    socket.write(bytes);
  });
}

/** Resident memory of a process in bytes (Linux). */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
