// The one CSV format of every export (check-ins, a person's check-ins, the register): RFC 4180 (UTF-8,
// CRLF line ends, a field quoted when it holds a quote, comma or line break, quotes doubled), the one
// formula guard, the byte-order mark option (`bom=true`, what the sheet's "CSV for Excel" sends) and the
// file names (an ASCII name for every client, filename* in UTF-8 when the name has other letters).
//
// The formula guard: text a person typed that a spreadsheet would run as a formula gets a leading
// apostrophe: text starting with = + - @ TAB or CR, also once NFKC-normalised (full-width ＝ is =) and
// with leading invisible characters (zero-width spaces, bidi marks, the BOM, fillers) skipped, since a
// spreadsheet may skip those too. The same rule exists twice: in TypeScript (csvField) for exports built
// in Node, and as SQL (csvFieldSql) for those PostgreSQL renders chunk by chunk; test/domain/csv.test.ts
// holds both to one table of cases.
import { Type } from 'typebox';
import { personFold } from '../features/checkins/person-name.js';

/** The signs that start a formula. */
const FORMULA_SIGNS = ['=', '+', '-', '@', '\t', '\r'];

/** Invisible characters a spreadsheet may skip before the sign of a formula (zero-width, bidi marks, BOM, fillers). */
export const LEADING_INVISIBLE_CODES: readonly number[] = [
  0xad,
  0x34f,
  0x61c,
  0x115f,
  0x1160,
  0x17b4,
  0x17b5,
  0x180e,
  ...range(0x200b, 0x200f),
  ...range(0x202a, 0x202e),
  ...range(0x2060, 0x206f),
  0x3164,
  0xfeff,
  0xffa0,
];

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

const LEADING_INVISIBLE = new RegExp(`^[${LEADING_INVISIBLE_CODES.map((code) => `\\u{${code.toString(16)}}`).join('')}]+`, 'u');

/** Whether a spreadsheet could read `text` as a formula (see the module comment). */
export function startsFormula(text: string): boolean {
  if (text === '') return false;
  if (FORMULA_SIGNS.includes(text[0]!)) return true;
  // ASCII starts (nearly every name) need no normalising: NFKC changes no ASCII character.
  if (text.charCodeAt(0) <= 127) return false;
  return FORMULA_SIGNS.includes(text.normalize('NFKC').replace(LEADING_INVISIBLE, '')[0] ?? '');
}

/** One CSV field: text guarded against formulas and quoted when needed; numbers as they are; null/undefined empty. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const safe = startsFormula(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** One CSV line with its CRLF. */
export function csvLine(fields: readonly (string | number | null | undefined)[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

/**
 * csvField of a text column, rendered by PostgreSQL. strpos and left rather than regular expressions:
 * measured, the check-in export's SQL went from ~220k to ~240k rows/s with them (the same SQL without
 * any quoting: ~247k); ASCII starts skip the normalising.
 */
export function csvFieldSql(column: string): string {
  const signs = `('=', '+', '-', '@', E'\\t', E'\\r')`;
  const invisible = `E'${LEADING_INVISIBLE_CODES.map((code) => `\\u${code.toString(16).padStart(4, '0')}`).join('')}'`;
  const formula = `(left(${column}, 1) IN ${signs} OR (ascii(${column}) > 127 AND left(ltrim(normalize(${column}, NFKC), ${invisible}), 1) IN ${signs}))`;
  const needsQuotes = `strpos(${column}, '"') + strpos(${column}, ',') + strpos(${column}, E'\\n') + strpos(${column}, E'\\r') > 0`;
  return `CASE WHEN ${needsQuotes}
            THEN '"' || CASE WHEN ${formula} THEN '''' ELSE '' END || replace(${column}, '"', '""') || '"'
          WHEN ${formula} THEN '''' || ${column}
          ELSE ${column} END`;
}

// ---- Options -----------------------------------------------------------------------------------------

/** U+FEFF at the start tells Excel the file is UTF-8 (without it Excel reads Żółć as Windows-1252). */
export const BYTE_ORDER_MARK = '\ufeff';

export interface CsvOptions {
  /** Start with the byte-order mark (the "CSV for Excel" of the pages). */
  bom?: boolean;
}

/** The `bom` query parameter every CSV export takes. */
export const CsvBomSchema = Type.Boolean({
  default: false,
  description: 'Start the file with a UTF-8 byte-order mark, which Excel needs to read names such as Żółć correctly ("CSV for Excel").',
});

/** The start of a file: the byte-order mark when asked for, then the header line (CRLF added). */
export function csvHeader(columns: string | readonly string[], options: CsvOptions = {}): string {
  return `${options.bom ? BYTE_ORDER_MARK : ''}${typeof columns === 'string' ? columns : columns.join(',')}\r\n`;
}

/** The Content-Type of every CSV export. */
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8; header=present';

// ---- File names --------------------------------------------------------------------------------------

/** The name of an export's file. */
export interface CsvFileName {
  /** Only letters a-z, digits, '-', '_' and '.': safe in any header and any file system. */
  ascii: string;
  /** The same with the label's own letters (Süd stays süd); equal to `ascii` when the label is ASCII. */
  unicode: string;
}

const MAX_LABEL_SLUG = 40;

/** Lower case, runs of anything but letters and digits (of `letters`) as one '-', none at the ends. */
function slug(text: string, letters: RegExp): string {
  return text
    .toLowerCase()
    .replace(letters, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_LABEL_SLUG)
    .replace(/-+$/, '');
}

/** The label's letters transliterated like person_fold does (Żółć → zolc), spaces and punctuation kept. */
function foldLetters(text: string): string {
  return text
    .split(/([^\p{L}\p{N}]+)/u)
    .map((part, i) => (i % 2 === 0 ? personFold(part) : part))
    .join('');
}

/**
 * `${stem}${label}.csv`: `stem` is ASCII already (barona-checkins-2026-11-27); `label` is text a person
 * chose (a gate, a group's name), slugged and put after `labelPrefix` (`-gate-`), or `labelPrefix`
 * without its last '-' when it slugs to nothing. The ASCII name transliterates it, the Unicode one keeps it.
 */
export function csvFileName(stem: string, label?: { prefix: string; text: string }): CsvFileName {
  const name = (labelSlug: string | undefined) =>
    `${stem}${labelSlug === undefined ? '' : labelSlug === '' ? label!.prefix.replace(/-$/, '') : `${label!.prefix}${labelSlug}`}.csv`;
  if (label === undefined) return { ascii: name(undefined), unicode: name(undefined) };
  const unicodeSlug = slug(label.text.normalize('NFC'), /[^\p{L}\p{N}]+/gu);
  const asciiSlug = slug(foldLetters(label.text), /[^a-z0-9]+/g);
  return { ascii: name(asciiSlug), unicode: name(unicodeSlug === '' ? asciiSlug : unicodeSlug) };
}

/** RFC 6266: the ASCII name for every client, and filename* (RFC 8187, UTF-8) when the name has other letters. */
export function contentDisposition(name: CsvFileName | string): string {
  const { ascii, unicode } = typeof name === 'string' ? { ascii: name, unicode: name } : name;
  const plain = `attachment; filename="${ascii}"`;
  return unicode === ascii ? plain : `${plain}; filename*=UTF-8''${encodeURIComponent(unicode)}`;
}
