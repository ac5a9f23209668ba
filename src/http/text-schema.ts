// Text a query string (or a body) may carry: PostgreSQL's text cannot hold a NUL character, so a filter
// holding one would fail in the database (after an export's first bytes were sent). The schemas of
// /api/v1 refuse it up front, with a 400 naming the field (plugins/error-handler.ts words it).
import { Type, type TStringOptions } from 'typebox';

/** Any text without U+0000. */
export const NO_NUL_PATTERN = '^[^\\u0000]*$';

/** A string schema that refuses NUL characters. */
export const SafeText = (options: TStringOptions = {}) => Type.String({ ...options, pattern: NO_NUL_PATTERN });
