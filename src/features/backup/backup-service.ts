// Backups: taking one (every table from one snapshot, ./backup.ts) and restoring one into an empty
// database (./restore.ts). Both need 'backup' (owners, and the operator's commands acting as the
// system). A restore is a change like any other: its rows go in in one transaction that also holds the
// audit record of the restore (which backup, how many tables and rows; no names), so a restored database
// says where its data came from.
import type { Readable, Writable } from 'node:stream';
import { loadMigrations, migrate, type Migration } from '../../db/migrator.js';
import { type Actor, authorize } from '../../domain/actor.js';
import type { AuditRecord } from '../../domain/changes.js';
import type { ServiceDeps } from '../../services.js';
import { type BackupSummary, writeBackup } from './backup.js';
import { checkEmpty, checkSchema, loadBackup, openBackup, type RestoredTable, type RestoreSummary } from './restore.js';
import type { BackupHeader } from './format.js';

export interface RestoreOptions {
  /** The barona version restoring (named when the backup's schema is too new). */
  baronaVersion: string;
  /** This barona's migrations (all of them, by default). */
  migrations?: Migration[];
}

function restoreRecord(header: BackupHeader, tables: RestoredTable[]): AuditRecord {
  return {
    action: 'restore',
    entity: 'backup',
    entityId: header.createdAt,
    after: {
      createdAt: header.createdAt,
      barona: header.barona,
      engine: header.engine,
      schema: header.migrations.at(-1)?.version ?? null,
      tables: tables.length,
      rows: tables.reduce((sum, t) => sum + t.rows, 0),
    },
  };
}

export class BackupService {
  constructor(private readonly deps: ServiceDeps) {}

  /** Writes a backup of the whole database to `output` (gzip-compressed); resolves once it is complete. */
  async backup(actor: Actor, output: Writable, baronaVersion: string): Promise<BackupSummary> {
    authorize(actor, 'backup');
    return writeBackup(this.deps.db, output, baronaVersion);
  }

  /**
   * Restores the backup read from `input` into this (empty) database, then brings the schema up to this
   * barona's. Refuses, with nothing restored, a backup that is damaged, incomplete, from a newer
   * schema, or a target that is not empty.
   */
  async restore(actor: Actor, input: Readable, options: RestoreOptions): Promise<RestoreSummary> {
    authorize(actor, 'backup');
    const { db, changes } = this.deps;
    const migrations = options.migrations ?? loadMigrations();
    const backup = await openBackup(input);
    const { header } = backup;
    checkSchema(header, migrations, options.baronaVersion);
    await checkEmpty(db, header);

    const inBackup = new Set(header.migrations.map((m) => m.version));
    await migrate(
      db,
      migrations.filter((m) => inBackup.has(m.version)),
    );
    // At an older schema the audit log may lack what a record holds now (a migration of this barona
    // adds it): the record then follows the upgrade, in a change of its own.
    const current = migrations.every((m) => inBackup.has(m.version));
    const tables = await changes.run(actor, async (change) => {
      const restored = await loadBackup(change.tx, backup);
      if (current) await change.audit(restoreRecord(header, restored));
      change.announce('attendance');
      return restored;
    });
    const upgraded = await migrate(db, migrations);
    if (!current) await changes.run(actor, (change) => change.audit(restoreRecord(header, tables)));
    return { header, tables, upgraded };
  }
}
