// The backup file format, version 1 (docs/OPERATIONS.md "Backup file format").
//
// A gzip-compressed UTF-8 text stream of lines:
//
//   BARONA-BACKUP 1 {"format":1,"createdAt":…,"barona":…,"engine":…,"migrations":[{version,name,checksum}…]}
//   TABLE {"name":"checkins","columns":["id",…],"key":["id"]}
//   {"id":1,"login":"2026-11-27T09:00:00+00:00",…}        one row per line: row_to_json of the stored row
//   …
//   END {"name":"checkins","rows":2,"sha256":…,"sequences":[{"column":"id","next":3}]}
//   … (one TABLE … END section per table, parents before the tables that reference them)
//   DONE {"tables":7,"rows":…}
//
// Row lines always start with "{" and control lines with a capital word, so a reader needs no lookahead.
// `sha256` covers the section's row lines, each followed by "\n"; a file without its DONE line is cut off
// and is refused. The schema version is the list of migrations applied to the source database; the
// sections are exactly the tables of that schema, in its catalog's order (catalog.ts), and no line is
// longer than MAX_LINE_BYTES (lines.ts): a restore refuses a file that says otherwise.

export const FORMAT_VERSION = 1;
export const MAGIC = 'BARONA-BACKUP';

export interface BackupMigration {
  version: string;
  name: string;
  checksum: string;
}

export interface BackupHeader {
  format: number;
  createdAt: string;
  /** The barona version that wrote the file. */
  barona: string;
  engine: 'postgres' | 'embedded';
  /** Migrations applied to the source database, in order: the schema version of the data. */
  migrations: BackupMigration[];
}

export interface TableStart {
  name: string;
  /** Stored (not generated) columns, in table order. */
  columns: string[];
  /** Primary key columns: rows are written in this order. */
  key: string[];
}

export interface SequenceState {
  column: string;
  /** The value the column's sequence hands out next. */
  next: number;
}

export interface TableEnd {
  name: string;
  rows: number;
  sha256: string;
  sequences: SequenceState[];
}

export interface BackupDone {
  tables: number;
  rows: number;
}

export class BackupFormatError extends Error {
  override name = 'BackupFormatError';
}

export function headerLine(header: BackupHeader): string {
  return `${MAGIC} ${FORMAT_VERSION} ${JSON.stringify(header)}\n`;
}

export function parseHeader(line: string | undefined): BackupHeader {
  const match = line === undefined ? null : /^BARONA-BACKUP (\d+) (\{.*\})$/.exec(line);
  if (!match) throw new BackupFormatError('not a barona backup (the first line is not a BARONA-BACKUP header)');
  const format = Number(match[1]);
  if (format > FORMAT_VERSION) {
    throw new BackupFormatError(
      `backup format ${format} is newer than this barona reads (format ${FORMAT_VERSION}); restore it with a newer barona`,
    );
  }
  let header: Partial<BackupHeader> | null;
  try {
    header = JSON.parse(match[2]!) as Partial<BackupHeader> | null;
  } catch {
    throw new BackupFormatError('damaged backup: unreadable BARONA-BACKUP header');
  }
  const migrations = header?.migrations;
  if (!Array.isArray(migrations) || !migrations.every((m) => typeof m?.version === 'string' && typeof m.checksum === 'string')) {
    throw new BackupFormatError('damaged backup: its header does not list the migrations of its schema');
  }
  return header as BackupHeader;
}

/** A control line's word and JSON payload, or undefined for a row line. */
export function parseControl(line: string): { word: string; payload: unknown } | undefined {
  if (line.startsWith('{')) return undefined;
  const space = line.indexOf(' ');
  const word = space < 0 ? line : line.slice(0, space);
  try {
    return { word, payload: space < 0 ? {} : JSON.parse(line.slice(space + 1)) };
  } catch {
    throw new BackupFormatError(`damaged backup: unreadable "${word}" line`);
  }
}
