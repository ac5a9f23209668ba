// What the pipeline tests share: where the project is, what scripts it has, and a way to run them.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const packageJson = (): { version: string; scripts: Record<string, string> } =>
  JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const r: SpawnSyncReturns<string> = spawnSync(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Like run(), without blocking the event loop (for tests that serve HTTP in-process). */
export function runAsync(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Problems with one shell command from a pipeline file: every project script it names must exist,
 * every `npm run X` must be a script in package.json. Returns what it found, so a test can also
 * insist that a command calls the project at all.
 */
export function projectCalls(command: string): { scripts: string[]; npmScripts: string[]; problems: string[] } {
  const scripts = [...command.matchAll(/(?:^|[\s"'=(])(scripts\/[\w./-]+\.(?:sh|ts))/g)].map((m) => m[1] as string);
  const npmScripts = [...command.matchAll(/\bnpm\s+(?:run(?:-script)?\s+(?:--silent\s+)?([\w:.-]+)|(test|start)\b)/g)].map(
    (m) => (m[1] ?? m[2]) as string,
  );
  const known = packageJson().scripts;
  const problems = [
    ...scripts.filter((s) => !existsSync(path.join(ROOT, s))).map((s) => `${s} does not exist`),
    ...npmScripts.filter((s) => !(s in known)).map((s) => `npm script "${s}" is not in package.json`),
  ];
  return { scripts, npmScripts, problems };
}
