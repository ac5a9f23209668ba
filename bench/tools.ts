// Measuring instruments for the benchmark: the service as a child process, HTTP load (autocannon),
// pgbench, memory and CPU of a process read from /proc, and simple statistics.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { freePort } from '../test/support/ports.js';
import { BIN, ROOT, cleanEnv } from '../test/support/server.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Spread {
  min: number;
  median: number;
  max: number;
}

export function spread(values: number[]): Spread {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return { min: NaN, median: NaN, max: NaN };
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0]!, median, max: sorted[sorted.length - 1]! };
}

// ---------------------------------------------------------------------------------------------- /proc

const CLOCK_TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux x86-64

export interface ProcMemory {
  rssMb: number;
  hwmMb: number;
}

export function procMemory(pid: number): ProcMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

/** Resets the process's peak RSS (VmHWM) to its current RSS (Linux ≥ 4.0, own processes). */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false; // not supported: the peak then includes earlier phases
  }
}

/** CPU time (user + system) the process has used so far, in milliseconds. */
export function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command name: state is field 3 overall, utime 14 and stime 15 → indexes 11 and 12 here.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** Samples a process's RSS every `intervalMs` until stopped; reports the highest VmRSS and the VmHWM. */
export class RssSampler {
  private maxRssMb = 0;
  private hwmMb = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 50,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample() {
    try {
      const memory = procMemory(this.pid);
      this.maxRssMb = Math.max(this.maxRssMb, memory.rssMb);
      this.hwmMb = Math.max(this.hwmMb, memory.hwmMb);
    } catch {
      // the process is gone
    }
  }

  stop(): { maxRssMb: number; hwmMb: number } {
    clearInterval(this.timer);
    this.sample();
    return { maxRssMb: this.maxRssMb, hwmMb: this.hwmMb };
  }
}

// ----------------------------------------------------------------------------------------- the service

export interface Service {
  url: string;
  pid: number;
  process: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

export interface ServiceOptions {
  env: Record<string, string>;
  nodeArgs?: string[];
  /** Wait for /readyz 200 (default true). */
  waitReady?: boolean;
  /** Run this script instead of `bin/barona.js serve` (e.g. the naive peer); readiness is then /healthz. */
  script?: string;
  timeoutMs?: number;
}

/** The node flags the `barona` command runs with: those of bin/barona.js's first line (#!/usr/bin/env -S node …). */
export const SHIPPED_NODE_ARGS: string[] = readFileSync(BIN, 'utf8')
  .split('\n')[0]!
  .split(/\s+/)
  .filter((word) => word.startsWith('--'));

/** Starts `node bin/barona.js serve`; resolves with it and the milliseconds from spawn to /readyz 200. */
export async function startService(options: ServiceOptions): Promise<{ service: Service; readyMs: number }> {
  const port = await freePort();
  const env = cleanEnv({ HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', APP_TIMEZONE: 'UTC', ...options.env });
  const started = performance.now();
  // With the flags of the `barona` command, so the figures are those of the service as shipped.
  const program = options.script ? [options.script] : [BIN, 'serve'];
  const readyPath = options.script ? '/healthz' : '/readyz';
  // The peer runs with Node's defaults; the service with the flags it ships with.
  const nodeFlags = options.script ? [] : SHIPPED_NODE_ARGS;
  const child = spawn(process.execPath, [...nodeFlags, ...(options.nodeArgs ?? []), ...program], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
  child.stderr!.on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = started + (options.timeoutMs ?? 90_000);
  let readyMs: number;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}:\n${output}`);
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the service was not ready within ${options.timeoutMs ?? 90_000} ms:\n${output}`);
    }
    try {
      const response = await fetch(url + readyPath, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.ok) {
        readyMs = performance.now() - started;
        break;
      }
    } catch {
      // not listening yet
    }
    await sleep(5);
  }
  const service: Service = {
    url,
    pid: child.pid!,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  return { service, readyMs };
}

// ---------------------------------------------------------------------------------------- HTTP load

export interface HttpResult {
  /** Successful (2xx) responses per second. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses that were not 2xx, plus connection errors and timeouts. */
  failures: number;
  /** CPU cores the service used on average during the run (1.0 = one core busy all the time). */
  serviceCores: number;
  /** CPU cores the load generator (this process) used. */
  loadCores: number;
}

export interface HttpLoad {
  url: string;
  connections: number;
  durationS: number;
  method?: 'GET' | 'POST';
  /** Makes the body of each request (unique names, so duplicate detection does not kick in). */
  body?: () => string;
  headers?: Record<string, string>;
  /** Send a fresh Idempotency-Key header with every request. */
  idempotencyKeys?: boolean;
  servicePid: number;
}

export async function httpLoad(load: HttpLoad): Promise<HttpResult> {
  const cpuBefore = procCpuMs(load.servicePid);
  const ownBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const makeBody = load.body;
  const result = await autocannon({
    url: load.url,
    connections: load.connections,
    duration: load.durationS,
    method: load.method ?? 'GET',
    headers: load.headers,
    requests: makeBody
      ? [
          {
            method: load.method ?? 'POST',
            headers: { 'content-type': 'application/json', ...load.headers },
            setupRequest: (request) => ({
              ...request,
              body: makeBody(),
              ...(load.idempotencyKeys ? { headers: { ...request.headers, 'idempotency-key': randomUUID() } } : {}),
            }),
          },
        ]
      : undefined,
  });
  const wallS = (performance.now() - wallBefore) / 1000;
  const own = process.cpuUsage(ownBefore);
  const ok = result['2xx'];
  return {
    rps: ok / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
    serviceCores: (procCpuMs(load.servicePid) - cpuBefore) / 1000 / wallS,
    loadCores: (own.user + own.system) / 1e6 / wallS,
  };
}

// ----------------------------------------------------------------------------------------------- pgbench

/** pgbench from PATH, or from Debian's versioned PostgreSQL directories. */
export function findPgbench(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(path.join(dir, 'pgbench'))) return path.join(dir, 'pgbench');
  }
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const candidate = path.join(base, version, 'bin', 'pgbench');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export interface PgbenchResult {
  tps: number;
  latencyMs: number;
  failed: number;
  connectMs: number;
}

export interface PgbenchRun {
  bin: string;
  databaseUrl: string;
  script: string;
  clients: number;
  durationS: number;
  defines?: Record<string, string>;
}

export function pgbench(run: PgbenchRun): Promise<PgbenchResult> {
  const url = new URL(run.databaseUrl);
  const args = [
    '--no-vacuum',
    '--protocol=extended', // parameters sent separately, as node-postgres does
    `--client=${run.clients}`,
    `--jobs=${Math.min(run.clients, 2)}`,
    // Opening the connections counts against --time but not against the reported tps; on a loaded
    // machine 50 connections take seconds to open, so that time is added on top of the measurement.
    `--time=${run.durationS + Math.ceil(run.clients / 10)}`,
    `--file=${run.script}`,
    `--host=${url.hostname}`,
    `--port=${url.port || '5432'}`,
    `--username=${decodeURIComponent(url.username || 'postgres')}`,
    ...Object.entries(run.defines ?? {}).map(([key, value]) => `--define=${key}=${value}`),
    decodeURIComponent(url.pathname.slice(1)),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(run.bin, args, {
      env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password), PGAPPNAME: 'barona-bench' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1] ?? NaN);
      const latencyMs = Number(/latency average = ([\d.]+) ms/.exec(output)?.[1] ?? NaN);
      const failed = Number(/number of failed transactions: (\d+)/.exec(output)?.[1] ?? 0);
      const connectMs = Number(/initial connection time = ([\d.]+) ms/.exec(output)?.[1] ?? NaN);
      if (code !== 0 || !Number.isFinite(tps)) reject(new Error(`pgbench failed (exit ${code}):\n${output}`));
      else resolve({ tps, latencyMs, failed, connectMs });
    });
  });
}
