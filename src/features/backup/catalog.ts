// What a backup covers: every ordinary table of the public schema except the migration ledger (whose
// content is the backup's schema version), with its stored columns, primary key, the tables it
// references and the sequences behind its identity columns.
import type { Queryable } from '../../db/database.js';

export interface CatalogTable {
  name: string;
  columns: string[];
  key: string[];
  references: string[];
  /** Columns filled from a sequence (identity or serial), with the sequence's name. */
  sequences: { column: string; sequence: string }[];
}

export const LEDGER_TABLE = 'schema_migrations';

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export async function readCatalog(db: Queryable): Promise<CatalogTable[]> {
  const { rows } = await db.query<{
    name: string;
    columns: string[] | null;
    key: string[] | null;
    refs: string[] | null;
    seq_columns: string[] | null;
    seq_names: string[] | null;
  }>(
    `SELECT c.relname::text AS name,
            (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '') AS columns,
            (SELECT array_agg(a.attname::text ORDER BY array_position(i.indkey::int2[], a.attnum))
               FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
              WHERE i.indrelid = c.oid AND i.indisprimary) AS key,
            (SELECT array_agg(DISTINCT r.relname::text COLLATE "C") FROM pg_constraint f JOIN pg_class r ON r.oid = f.confrelid
              WHERE f.conrelid = c.oid AND f.contype = 'f' AND f.confrelid <> c.oid) AS refs,
            s.columns AS seq_columns, s.names AS seq_names
       FROM pg_class c
       LEFT JOIN LATERAL (
         SELECT array_agg(a.attname::text ORDER BY a.attnum) AS columns,
                array_agg(pg_get_serial_sequence(quote_ident(c.relname), a.attname) ORDER BY a.attnum) AS names
           FROM pg_attribute a
          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            AND pg_get_serial_sequence(quote_ident(c.relname), a.attname) IS NOT NULL) AS s ON true
      WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND c.relname <> $1
      ORDER BY c.relname`,
    [LEDGER_TABLE],
  );
  const tables = rows.map((row) => ({
    name: row.name,
    columns: row.columns ?? [],
    key: row.key ?? [],
    references: row.refs ?? [],
    sequences: (row.seq_columns ?? []).map((column, i) => ({ column, sequence: row.seq_names![i]! })),
  }));
  return inDependencyOrder(tables);
}

/**
 * Referenced tables first, so a restore can load the file in order with foreign keys checked. The order
 * depends on nothing but the schema (names compare byte-wise whatever the database's collation), so a
 * restore can demand the tables of a backup in exactly this order.
 */
function inDependencyOrder(tables: CatalogTable[]): CatalogTable[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const ordered: CatalogTable[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (table: CatalogTable) => {
    if (state.get(table.name) === 'done') return;
    if (state.get(table.name) === 'visiting') return; // a reference cycle: keep the alphabetical order
    state.set(table.name, 'visiting');
    for (const ref of table.references) {
      const parent = byName.get(ref);
      if (parent) visit(parent);
    }
    state.set(table.name, 'done');
    ordered.push(table);
  };
  tables.forEach(visit);
  return ordered;
}

/** Applied migrations from the ledger (empty for a blank database). */
export async function readLedger(db: Queryable): Promise<{ version: string; name: string; checksum: string }[]> {
  const { rows: exists } = await db.query<{ exists: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS exists`, [LEDGER_TABLE]);
  if (!exists[0]?.exists) return [];
  const { rows } = await db.query<{ version: string; name: string; checksum: string }>(
    `SELECT version, name, checksum FROM ${LEDGER_TABLE} ORDER BY version`,
  );
  return rows;
}
