// The `barona backup FILE` and `barona restore FILE` commands (FILE `-`: standard output / input),
// through the backup service, acting as the system. What the commands say goes to stdout, or to stderr
// when stdout carries the backup itself.
import { createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Writable } from 'node:stream';
import type { Config } from '../../config.js';
import { openDatabase } from '../../db/database.js';
import { systemActor } from '../../domain/actor.js';
import { serviceDeps } from '../../services.js';
import { BackupService } from './backup-service.js';

export async function runBackup(config: Config, file: string, baronaVersion: string): Promise<number> {
  const say = file === '-' ? console.error : console.log;
  // Opening a missing DATA_DIR would create an empty database and back that up instead.
  if (config.database.kind === 'embedded' && !existsSync(path.join(config.database.dataDir, 'PG_VERSION'))) {
    throw new Error(`DATA_DIR ${config.database.dataDir} holds no database: nothing to back up`);
  }
  const db = await openDatabase(config.database, { timezone: config.timezone, requestTimeouts: false, direct: true });
  // Written under a temporary name and renamed when complete: FILE is never a half-written backup.
  const partial = `${file}.partial`;
  try {
    const output: Writable = file === '-' ? process.stdout : createWriteStream(partial, { flags: 'w', mode: 0o600 });
    const started = Date.now();
    const backups = new BackupService(serviceDeps(db, config));
    const summary = await backups.backup(systemActor('barona backup'), output, baronaVersion);
    if (file !== '-') renameSync(partial, file);
    for (const table of summary.tables) say(`backed up  ${table.name}  ${table.rows} rows`);
    say(
      `backup complete: ${summary.tables.length} tables, ${summary.rows} rows, schema of ${summary.migrations} migrations, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    return 0;
  } catch (error) {
    if (file !== '-') rmSync(partial, { force: true });
    throw error;
  } finally {
    await db.close();
  }
}

export async function runRestore(config: Config, file: string, baronaVersion: string): Promise<number> {
  let input: Readable = process.stdin;
  if (file !== '-') {
    // Opened before the database: a wrong file name changes nothing and says so in one line.
    const handle = await open(file).catch((error: NodeJS.ErrnoException) => {
      throw new Error(`cannot read ${file} (${error.code ?? error.message})`);
    });
    input = handle.createReadStream();
  }
  const db = await openDatabase(config.database, { timezone: config.timezone, requestTimeouts: false, direct: true });
  try {
    const started = Date.now();
    const backups = new BackupService(serviceDeps(db, config));
    const summary = await backups.restore(systemActor('barona restore'), input, { baronaVersion });
    for (const table of summary.tables) console.log(`restored  ${table.name}  ${table.rows} rows`);
    for (const m of summary.upgraded) console.log(`applied  ${m.version}_${m.name}`);
    const rows = summary.tables.reduce((sum, t) => sum + t.rows, 0);
    console.log(
      `restore complete: ${summary.tables.length} tables, ${rows} rows from a backup of ${summary.header.createdAt} (barona ${summary.header.barona}), ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    return 0;
  } finally {
    input.destroy();
    await db.close();
  }
}
