/**
 * The part of Python's `ast.literal_eval` that the official NER parser depends on: is the
 * response a Python literal that evaluates to a list of str, and if so, which strings?
 *
 * Anything else (a syntax error, a tuple, a list holding a number, an f-string, bytes) makes the
 * official parser fall back to comma splitting, so those cases only need to be recognised as
 * "not a list of str", not evaluated. Strings are decoded exactly as CPython decodes them:
 * prefixes, implicit concatenation, triple quotes, and every escape sequence except `\N{name}`
 * (which needs the Unicode name database; such a response is treated as not a list, and the
 * scorer reports a warning).
 */

export type ListOfStrResult = { ok: true; items: string[] } | { ok: false; unsupported?: string };

class NotAListOfStr extends Error {
  constructor(readonly unsupported?: string) {
    super(unsupported ?? 'not a list of str');
  }
}

/** `ast.literal_eval(source)` when it yields a list whose items are all str. */
export function parsePythonListOfStr(source: string): ListOfStrResult {
  // literal_eval strips leading spaces and tabs only, then parses in 'eval' mode.
  let text = source.replace(/^[ \t]+/, '');
  if (text.includes('\0')) return { ok: false };
  // CPython decodes the source as UTF-8; a lone surrogate cannot be encoded and raises.
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text))
    return { ok: false };
  // compile() translates \r\n and \r to \n before tokenizing.
  text = text.replace(/\r\n?/g, '\n');
  try {
    const parser = new LiteralParser(text);
    const items = parser.parseTopLevel();
    return { ok: true, items };
  } catch (err) {
    if (err instanceof NotAListOfStr) return { ok: false, unsupported: err.unsupported };
    throw err;
  }
}

/** CPython's tokenizer MAXLEVEL. */
const MAX_NESTING = 200;

const STRING_PREFIX = /^(?:[rRuUbBfF]|[rR][bBfF]|[bBfF][rR])?(?=['"])/;

class LiteralParser {
  private pos = 0;
  /** Bracket nesting: inside brackets, newlines are insignificant. */
  private depth = 0;
  /** Where the list expression ended. */
  private expressionEnd = 0;

  constructor(private readonly text: string) {}

  parseTopLevel(): string[] {
    this.skipLeadingBlankLines();
    const value = this.parseListExpression();
    this.expressionEnd = this.pos;
    this.skipTrivia();
    if (this.pos !== this.text.length) throw new NotAListOfStr();
    // A last line of only spaces or tabs with no newline after it is an "unexpected indent".
    const lastLine = this.text.slice(this.text.lastIndexOf('\n') + 1);
    if (
      this.text.includes('\n') &&
      /^[ \t\f]+$/.test(lastLine) &&
      this.text.lastIndexOf('\n') >= this.expressionEnd
    ) {
      throw new NotAListOfStr();
    }
    return value;
  }

  /** Blank and comment-only lines before the expression are ignored; an indented first line is an IndentationError. */
  private skipLeadingBlankLines(): void {
    for (;;) {
      let i = this.pos;
      while (
        i < this.text.length &&
        (this.text[i] === ' ' || this.text[i] === '\t' || this.text[i] === '\f')
      )
        i++;
      if (this.text[i] === '#') while (i < this.text.length && this.text[i] !== '\n') i++;
      if (this.text[i] === '\n') {
        this.pos = i + 1;
        continue;
      }
      // CPython resets the indentation column at a form feed: only what follows the last one indents.
      const indent = this.text.slice(this.pos, i);
      if (indent.slice(indent.lastIndexOf('\f') + 1).length > 0) throw new NotAListOfStr();
      this.pos = i;
      return;
    }
  }

  /** `[ ... ]`, possibly wrapped in parentheses. */
  private parseListExpression(): string[] {
    this.skipTrivia();
    const c = this.text[this.pos];
    if (c === '(') {
      this.open();
      const inner = this.parseListExpression();
      this.skipTrivia();
      this.expect(')');
      return inner;
    }
    if (c !== '[') throw new NotAListOfStr();
    this.open();
    const items: string[] = [];
    for (;;) {
      this.skipTrivia();
      if (this.text[this.pos] === ']') break;
      items.push(this.parseStrExpression());
      this.skipTrivia();
      if (this.text[this.pos] === ',') {
        this.pos++;
        continue;
      }
      if (this.text[this.pos] === ']') break;
      throw new NotAListOfStr();
    }
    this.expect(']');
    return items;
  }

  /** A str atom: adjacent string literals (implicit concatenation), possibly parenthesised. */
  private parseStrExpression(): string {
    if (this.text[this.pos] === '(') {
      this.open();
      this.skipTrivia();
      const inner = this.parseStrExpression();
      this.skipTrivia();
      this.expect(')');
      return inner;
    }
    let out = '';
    let count = 0;
    for (;;) {
      const prefix = STRING_PREFIX.exec(this.text.slice(this.pos, this.pos + 3));
      if (!prefix) break;
      const p = prefix[0].toLowerCase();
      // Bytes are not str; f-strings are not literals: both end literal_eval's list-of-str path.
      if (p.includes('b') || p.includes('f')) throw new NotAListOfStr();
      this.pos += prefix[0].length;
      out += this.readStringBody(p.includes('r'));
      count++;
      const save = this.pos;
      this.skipTrivia();
      if (!STRING_PREFIX.test(this.text.slice(this.pos, this.pos + 3))) {
        this.pos = save;
        break;
      }
    }
    if (count === 0) throw new NotAListOfStr();
    return out;
  }

  private readStringBody(raw: boolean): string {
    const quote = this.text[this.pos];
    const triple = this.text.startsWith(quote.repeat(3), this.pos);
    const delimiter = triple ? quote.repeat(3) : quote;
    this.pos += delimiter.length;
    let out = '';
    for (;;) {
      if (this.pos >= this.text.length) throw new NotAListOfStr();
      if (this.text.startsWith(delimiter, this.pos)) {
        this.pos += delimiter.length;
        return out;
      }
      const c = this.text[this.pos];
      if (c === '\n' && !triple) throw new NotAListOfStr();
      if (c === '\\') {
        if (this.pos + 1 >= this.text.length) throw new NotAListOfStr();
        if (raw) {
          // In raw strings a backslash still protects the next character from ending the string.
          out += c + this.text[this.pos + 1];
          this.pos += 2;
        } else {
          out += this.readEscape();
        }
        continue;
      }
      out += c;
      this.pos++;
    }
  }

  /** One escape sequence in a non-raw str literal, the backslash at this.pos. */
  private readEscape(): string {
    const next = this.text[this.pos + 1];
    this.pos += 2;
    switch (next) {
      case '\n':
        return '';
      case '\\':
      case "'":
      case '"':
        return next;
      case 'a':
        return '\x07';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'v':
        return '\v';
      case 'x':
        return String.fromCodePoint(this.readHex(2));
      case 'u':
        return String.fromCharCode(this.readHex(4));
      case 'U': {
        const cp = this.readHex(8);
        if (cp > 0x10ffff) throw new NotAListOfStr();
        return String.fromCodePoint(cp);
      }
      case 'N':
        throw new NotAListOfStr('a \\N{...} escape (Unicode character names are not supported)');
      default:
        if (next >= '0' && next <= '7') {
          let digits = next;
          while (digits.length < 3 && /[0-7]/.test(this.text[this.pos] ?? ''))
            digits += this.text[this.pos++];
          return String.fromCodePoint(parseInt(digits, 8));
        }
        // An unknown escape keeps its backslash (CPython only warns).
        return `\\${next}`;
    }
  }

  private readHex(n: number): number {
    const digits = this.text.slice(this.pos, this.pos + n);
    if (digits.length !== n || !/^[0-9a-fA-F]+$/.test(digits)) throw new NotAListOfStr();
    this.pos += n;
    return parseInt(digits, 16);
  }

  private open(): void {
    this.pos++;
    this.depth++;
    // CPython's tokenizer refuses more than 200 open brackets ("too many nested parentheses").
    if (this.depth > MAX_NESTING) throw new NotAListOfStr();
  }

  private expect(c: string): void {
    if (this.text[this.pos] !== c) throw new NotAListOfStr();
    this.pos++;
    if (c === ')' || c === ']') this.depth--;
  }

  /** Spaces, comments, line continuations, and (inside brackets or at the end) newlines. */
  private skipTrivia(): void {
    for (;;) {
      const c = this.text[this.pos];
      if (c === ' ' || c === '\t' || c === '\f') this.pos++;
      else if (c === '#')
        while (this.pos < this.text.length && this.text[this.pos] !== '\n') this.pos++;
      else if (c === '\\' && this.text[this.pos + 1] === '\n') {
        // A line continuation with nothing after it is "unexpected EOF".
        if (this.pos + 2 >= this.text.length) throw new NotAListOfStr();
        this.pos += 2;
      } else if (c === '\n') {
        // Outside brackets a newline ends the logical line; only trailing blank lines may follow.
        if (this.depth === 0 && !/^[ \t\f\n]*$/.test(this.restWithoutComments()))
          throw new NotAListOfStr();
        this.pos++;
      } else return;
    }
  }

  private restWithoutComments(): string {
    return this.text.slice(this.pos).replace(/#[^\n]*/g, '');
  }
}
