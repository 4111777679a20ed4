/**
 * Splits a dataset into the JSON text of each row, with the row's line and column, without ever
 * holding the whole file in one string: JSON Lines (one object per line; the official
 * `development.json` is JSON Lines despite its name) and a JSON array of objects.
 */
import * as fs from 'node:fs';
import { UserError } from '../userError';

export interface RowText {
  /** 0-based ordinal of the row in the file. */
  rowIndex: number;
  /** 1-based line and column where the row's text starts. */
  line: number;
  column: number;
  text: string;
}

/** A problem in the file's structure itself (not in one row), e.g. an unterminated array. */
export class DatasetStructureError extends UserError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    reason: string,
  ) {
    super(`${file}:${line}:${column}: ${reason}`);
  }
}

/** Pushes text chunks through a JSON Lines splitter: one non-blank line is one row. */
export class JsonLinesSplitter {
  private pending = '';
  private line = 1;
  private rowIndex = 0;

  constructor(private readonly emit: (row: RowText) => void) {}

  push(chunk: string): void {
    let text = this.pending + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      this.emitLine(text.slice(start, nl));
      start = nl + 1;
    }
    text = text.slice(start);
    this.pending = text;
  }

  end(): void {
    if (this.pending.length > 0) this.emitLine(this.pending);
    this.pending = '';
  }

  private emitLine(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const lead = line.length - line.trimStart().length;
    if (line.trim().length > 0) {
      this.emit({
        rowIndex: this.rowIndex++,
        line: this.line,
        column: lead + 1,
        text: line.slice(lead),
      });
    }
    this.line++;
  }
}

/**
 * Pushes text chunks through a splitter for `[ {...}, {...} ]`: tracks string and nesting state
 * across chunks and emits each top-level element's text.
 */
export class JsonArraySplitter {
  private state: 'before' | 'between' | 'element' | 'after' = 'before';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private element = '';
  private elementLine = 1;
  private elementColumn = 1;
  private line = 1;
  private column = 1;
  private rowIndex = 0;

  constructor(
    private readonly file: string,
    private readonly emit: (row: RowText) => void,
  ) {}

  push(chunk: string): void {
    let elementStart = this.state === 'element' ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (this.state === 'element') {
        if (this.inString) {
          if (this.escaped) this.escaped = false;
          else if (c === '\\') this.escaped = true;
          else if (c === '"') this.inString = false;
        } else if (c === '"') this.inString = true;
        else if (c === '{' || c === '[') this.depth++;
        else if ((c === '}' || c === ']') && this.depth > 0) this.depth--;
        else if ((c === ',' || c === ']') && this.depth === 0) {
          this.element += chunk.slice(elementStart, i);
          this.finishElement();
          elementStart = -1;
          this.state = c === ',' ? 'between' : 'after';
        }
      } else if (!isSpace(c)) {
        if (this.state === 'before') {
          if (c !== '[')
            throw this.structureError(
              `expected "[" to start a JSON array, found ${JSON.stringify(c)}`,
            );
          this.state = 'between';
        } else if (this.state === 'between') {
          if (c === ']') {
            if (this.rowIndex > 0)
              throw this.structureError(
                'a comma before "]" is not JSON: remove the trailing comma',
              );
            this.state = 'after';
          } else {
            this.state = 'element';
            this.elementLine = this.line;
            this.elementColumn = this.column;
            elementStart = i;
            this.depth = 0;
            if (c === '"') this.inString = true;
            else if (c === '{' || c === '[') this.depth = 1;
          }
        } else {
          throw this.structureError(
            `unexpected ${JSON.stringify(c)} after the end of the JSON array`,
          );
        }
      }
      if (c === '\n') {
        this.line++;
        this.column = 1;
      } else this.column++;
    }
    if (this.state === 'element' && elementStart >= 0) this.element += chunk.slice(elementStart);
  }

  end(): void {
    if (this.state === 'before')
      throw this.structureError('the file is empty: expected a JSON array of rows');
    if (this.state !== 'after') throw this.structureError('the JSON array is not closed with "]"');
  }

  private finishElement(): void {
    const text = this.element.trimEnd();
    this.element = '';
    this.emit({
      rowIndex: this.rowIndex++,
      line: this.elementLine,
      column: this.elementColumn,
      text,
    });
  }

  private structureError(reason: string): DatasetStructureError {
    return new DatasetStructureError(this.file, this.line, this.column, reason);
  }
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\ufeff';
}

/** Which splitter a text needs: a JSON array starts with "[", anything else is JSON Lines. */
export function looksLikeJsonArray(head: string): boolean {
  const first = head.replace(/^[\s\ufeff]+/, '')[0];
  return first === '[';
}

/**
 * Streams a dataset file's rows (JSON Lines or a JSON array), in order, as text. Stopping early
 * (breaking out of the loop) closes the file. `rowsAre` names the expected rows in the error for
 * an empty file.
 */
export async function* readRowTexts(file: string, rowsAre = 'rows'): AsyncGenerator<RowText> {
  const stream = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const ready: RowText[] = [];
  let splitter: JsonLinesSplitter | JsonArraySplitter | undefined;
  let head = '';
  for await (const chunk of stream as AsyncIterable<string>) {
    if (!splitter) {
      head += chunk;
      if (head.trim().length === 0) continue;
      splitter = looksLikeJsonArray(head)
        ? new JsonArraySplitter(file, (r) => ready.push(r))
        : new JsonLinesSplitter((r) => ready.push(r));
      splitter.push(stripBom(head));
    } else {
      splitter.push(chunk);
    }
    yield* ready.splice(0);
  }
  if (!splitter)
    throw new DatasetStructureError(
      file,
      1,
      1,
      `the file is empty: expected ${rowsAre} as JSON Lines or a JSON array`,
    );
  splitter.end();
  yield* ready.splice(0);
}

/** Splits an in-memory document the same way (the editor already holds its text). */
export function splitRowTexts(file: string, text: string): RowText[] {
  const rows: RowText[] = [];
  const body = stripBom(text);
  if (body.trim().length === 0) return rows;
  const splitter = looksLikeJsonArray(body)
    ? new JsonArraySplitter(file, (r) => rows.push(r))
    : new JsonLinesSplitter((r) => rows.push(r));
  splitter.push(body);
  splitter.end();
  return rows;
}

function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}
