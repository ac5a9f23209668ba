// A small reader for declarative Jenkinsfiles: enough Groovy to see the block structure
// (`pipeline { stages { stage('X') { steps { ... } } } }`) and the statements inside each block,
// with strings and comments handled so braces inside them do not count. It rejects unbalanced
// braces, parentheses and unterminated strings, which Jenkins would reject too.

export interface Block {
  header: string;
  line: number;
  statements: Array<{ text: string; line: number }>;
  children: Block[];
}

export function parseJenkinsfile(source: string): Block {
  const root: Block = { header: '', line: 0, statements: [], children: [] };
  const stack: Block[] = [root];
  let buffer = '';
  let bufferLine = 1;
  let line = 1;
  let parens = 0;
  const top = (): Block => stack[stack.length - 1] as Block;
  const flush = (): void => {
    const text = buffer.trim();
    if (text) top().statements.push({ text, line: bufferLine });
    buffer = '';
  };
  const append = (s: string): void => {
    if (!buffer.trim()) bufferLine = line;
    buffer += s;
  };

  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    const rest = source.slice(i);
    if (rest.startsWith('//')) {
      const end = source.indexOf('\n', i);
      i = (end === -1 ? source.length : end) - 1;
      continue;
    }
    if (rest.startsWith('/*')) {
      const end = source.indexOf('*/', i + 2);
      if (end === -1) throw new Error(`line ${line}: unterminated comment`);
      line += source.slice(i, end).split('\n').length - 1;
      i = end + 1;
      continue;
    }
    if (c === "'" || c === '"') {
      const quote = rest.startsWith(c.repeat(3)) ? c.repeat(3) : c;
      let j = i + quote.length;
      for (;;) {
        if (j >= source.length) throw new Error(`line ${line}: unterminated string`);
        if (source[j] === '\\') j += 2;
        else if (source.startsWith(quote, j)) break;
        else if (quote.length === 1 && source[j] === '\n') throw new Error(`line ${line}: newline in a string`);
        else j++;
      }
      const literal = source.slice(i, j + quote.length);
      append(literal);
      line += literal.split('\n').length - 1;
      i = j + quote.length - 1;
      continue;
    }
    if (c === '(' || c === '[') parens++;
    if (c === ')' || c === ']') {
      parens--;
      if (parens < 0) throw new Error(`line ${line}: unbalanced "${c}"`);
    }
    if (parens === 0 && c === '{') {
      const block: Block = { header: buffer.trim(), line: bufferLine, statements: [], children: [] };
      buffer = '';
      top().children.push(block);
      stack.push(block);
      continue;
    }
    if (parens === 0 && c === '}') {
      flush();
      if (stack.length === 1) throw new Error(`line ${line}: "}" without a block`);
      stack.pop();
      continue;
    }
    if (c === '\n') {
      line++;
      if (parens === 0) flush();
      else append(c);
      continue;
    }
    append(c);
  }
  flush();
  if (parens !== 0) throw new Error('unbalanced parentheses or brackets at end of file');
  if (stack.length !== 1) throw new Error(`unclosed block "${top().header}" from line ${top().line}`);
  return root;
}

export const child = (b: Block, header: string | RegExp): Block | undefined =>
  b.children.find((c) => (typeof header === 'string' ? c.header === header : header.test(c.header)));

export function* walk(b: Block): Generator<Block> {
  yield b;
  for (const c of b.children) yield* walk(c);
}

/** Every `sh` step under a block, as the shell command it runs. */
export function shellSteps(b: Block): Array<{ command: string; line: number }> {
  const out: Array<{ command: string; line: number }> = [];
  for (const block of walk(b)) {
    for (const s of block.statements) {
      const m = /^sh\s*(?:\(\s*(?:script:\s*)?)?('''|"""|'|")([\s\S]*?)\1/.exec(s.text);
      if (/^sh\b/.test(s.text)) {
        if (!m) throw new Error(`line ${s.line}: cannot read the sh step "${s.text}"`);
        out.push({ command: (m[2] as string).trim(), line: s.line });
      }
    }
  }
  return out;
}

export const stageName = (b: Block): string | undefined => /^stage\s*\(\s*(['"])(.+?)\1\s*\)$/.exec(b.header)?.[2];
