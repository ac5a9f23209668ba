// Starts the real service as a child process (`node bin/barona.js serve`) and talks to it over HTTP.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'barona.js');

export interface RunningServer {
  url: string;
  port: number;
  process: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** Sends `signal` and resolves with the exit code once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ServerOptions {
  /** Extra environment; DATABASE_URL here selects PostgreSQL, otherwise the embedded database is used. */
  env?: Record<string, string>;
  /** Wait for /readyz (default) or only for /healthz. */
  waitFor?: 'readyz' | 'healthz';
  timeoutMs?: number;
  /** Another checkout of Barona to run (e.g. the previous release built from git history); default: this one. */
  root?: string;
}

/** The environment a test server starts from: none of the developer's own DATABASE_* settings leak in. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      !/^(DATABASE_|PORT$|HOST$|APP_TIMEZONE$|DATA_DIR$|MIGRATE_ON_START$|AUTH_MODE$|ADMIN_|BOOTSTRAP_|COOKIE_SECURE$|SESSION_|SIGNIN_|LOG_LEVEL$|SHUTDOWN_|METRICS_PORT$|RETENTION_DAYS$)/.test(
        key,
      )
    ) {
      env[key] = value;
    }
  }
  return { ...env, LOG_LEVEL: 'warn', ...extra };
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const port = await freePort();
  const env = { ...options.env };
  let dataDir: string | undefined;
  if (!env.DATABASE_URL && !env.DATABASE_HOSTNAME && !env.DATA_DIR) {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'barona-data-'));
    env.DATA_DIR = dataDir;
  }
  const root = options.root ?? ROOT;
  const child = spawn(process.execPath, [path.join(root, 'bin', 'barona.js'), 'serve'], {
    cwd: root,
    // The seed's open mode unless a test asks for AUTH_MODE=token (access control has its own tests).
    env: cleanEnv({ HOST: '127.0.0.1', PORT: String(port), AUTH_MODE: 'open', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  const probe = `${url}/${options.waitFor ?? 'readyz'}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready within ${options.timeoutMs ?? 180_000} ms:\n${output}`);
    }
    try {
      const response = await fetch(probe, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    url,
    port,
    process: child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Runs `barona <args>` to completion. */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  root = ROOT,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'barona.js'), ...args], {
      cwd: root,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
