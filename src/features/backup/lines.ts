// The lines of a backup, read with a bound on each: a line is never held whole before its length is
// known, so a hostile or broken file with a huge line is refused early (naming the line) instead of
// filling the memory. Backups are split on "\n" only (JSON escapes every other line break); a "\r"
// before it is dropped, as a file passed through a Windows editor has one.
import { BackupFormatError } from './format.js';

/**
 * The longest line a backup may have, in bytes. A backup's longest lines are rows of the audit log,
 * made from requests of at most 64 KiB (a few times that once escaped as JSON): far below this.
 */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

const NEWLINE = 0x0a;

function lineOf(parts: Buffer[], length: number): string {
  const text = (parts.length === 1 ? parts[0]! : Buffer.concat(parts, length)).toString('utf8');
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

/** The input's lines, without their line breaks; throws BackupFormatError at a line longer than `maxBytes`. */
export async function* boundedLines(input: AsyncIterable<Buffer | string>, maxBytes = MAX_LINE_BYTES): AsyncGenerator<string> {
  const tooLong = (line: number) =>
    new BackupFormatError(`damaged backup: line ${line} is longer than ${maxBytes} bytes, which no backup has; nothing was restored`);
  let parts: Buffer[] = [];
  let length = 0;
  let line = 1;
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    for (let end = bytes.indexOf(NEWLINE); end >= 0; end = bytes.indexOf(NEWLINE, start)) {
      if (length + end - start > maxBytes) throw tooLong(line);
      parts.push(bytes.subarray(start, end));
      yield lineOf(parts, length + end - start);
      parts = [];
      length = 0;
      line++;
      start = end + 1;
    }
    if (start < bytes.length) {
      if (length + bytes.length - start > maxBytes) throw tooLong(line);
      // A copy: a slice would keep the whole chunk in memory until the line ends.
      parts.push(Buffer.from(bytes.subarray(start)));
      length += bytes.length - start;
    }
  }
  if (length > 0) yield lineOf(parts, length);
}
