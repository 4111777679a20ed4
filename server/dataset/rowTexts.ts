/**
 * Splits a dataset into the JSON text of each row, with the row's line and column, without ever
 * holding the whole file in one string: JSON Lines (one object per line; the official
 * `development.json` is JSON Lines despite its name) and a JSON array of objects.
 */
import { StringDecoder } from 'node:string_decoder';
import { UserError } from '../userError';
import { openForReading } from '../util/openForReading';

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

/**
 * Pushes chunks through a JSON Lines splitter: one non-blank line is one row. A file's bytes are
 * split at "\n" (which never occurs inside a multi-byte UTF-8 sequence) and each line decoded
 * alone: no megabyte-long string is built, and an ASCII row stays a one-byte string, which
 * JSON.parse reads faster and the rows it yields keep in half the memory.
 */
export class JsonLinesSplitter {
  private pending = '';
  private pendingBytes: Buffer | undefined;
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

  /** Bytes of UTF-8 text; do not mix with push(). */
  pushBytes(chunk: Buffer): void {
    let start = 0;
    let nl = chunk.indexOf(0x0a);
    if (this.pendingBytes !== undefined) {
      if (nl < 0) {
        this.pendingBytes = Buffer.concat([this.pendingBytes, chunk]);
        return;
      }
      this.emitLine(Buffer.concat([this.pendingBytes, chunk.subarray(0, nl)]).toString('utf8'));
      this.pendingBytes = undefined;
      start = nl + 1;
      nl = chunk.indexOf(0x0a, start);
    }
    for (; nl >= 0; nl = chunk.indexOf(0x0a, start)) {
      this.emitLine(chunk.toString('utf8', start, nl));
      start = nl + 1;
    }
    // A copy: the stream may reuse the chunk's memory.
    if (start < chunk.length) this.pendingBytes = Buffer.from(chunk.subarray(start));
  }

  end(): void {
    if (this.pendingBytes !== undefined) this.emitLine(this.pendingBytes.toString('utf8'));
    else if (this.pending.length > 0) this.emitLine(this.pending);
    this.pending = '';
    this.pendingBytes = undefined;
  }

  private emitLine(raw: string): void {
    const line = raw.charCodeAt(raw.length - 1) === 0x0d ? raw.slice(0, -1) : raw;
    const first = line.charCodeAt(0);
    // Rows start with "{": measure leading whitespace only when the line does not start visibly.
    const lead = first > 0x20 && first < 0x7f ? 0 : line.length - line.trimStart().length;
    if (lead < line.length) {
      this.emit({
        rowIndex: this.rowIndex++,
        line: this.line,
        column: lead + 1,
        text: lead === 0 ? line : line.slice(lead),
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

/** Bytes read per call: large enough that a 100 MB file takes ~100 reads. */
const READ_SIZE = 1 << 20;

/**
 * Streams a dataset file's rows (JSON Lines or a JSON array), in order, as text. Stopping early
 * (breaking out of the loop) closes the file. `rowsAre` names the expected rows in the error for
 * an empty file.
 */
export async function* readRowTexts(file: string, rowsAre = 'rows'): AsyncGenerator<RowText> {
  const ready: RowText[] = [];
  for await (const _ of feedRowTexts(file, (r) => ready.push(r), rowsAre)) yield* ready.splice(0);
  yield* ready;
}

/**
 * Reads a dataset file and calls `emit` with each row as soon as it is split out; yields after
 * each read, so a caller can stop early (which closes the file). A caller that checks rows as
 * they come awaits once per megabyte instead of once per row, and each row's text is garbage
 * before the next read: none of it outlives a young-generation collection.
 *
 * Every read goes into one reused buffer. A read stream allocates a fresh megabyte per chunk;
 * for an 85 MB file that cost more than parsing it (page faults on new memory, and the
 * collector chasing the buffers' external memory). Reuse is safe because the splitters copy
 * what they keep: rows are decoded to strings, a partial line is copied.
 */
export async function* feedRowTexts(
  file: string,
  emit: (row: RowText) => void,
  rowsAre = 'rows',
): AsyncGenerator<void> {
  const handle = await openForReading(file);
  try {
    const buffer = Buffer.allocUnsafe(READ_SIZE);
    let lines: JsonLinesSplitter | undefined;
    let array: { splitter: JsonArraySplitter; decoder: StringDecoder } | undefined;
    // The chunks read before the first one that is not blank decide which splitter reads the
    // file (copies: the buffer is reused).
    let head: Buffer[] = [];
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, READ_SIZE, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      if (lines) lines.pushBytes(chunk);
      else if (array) array.splitter.push(array.decoder.write(chunk));
      else {
        head.push(Buffer.from(chunk));
        const bytes = Buffer.concat(head);
        const text = bytes.toString('utf8');
        if (text.trim().length === 0) continue;
        head = [];
        if (looksLikeJsonArray(text)) {
          array = {
            splitter: new JsonArraySplitter(file, emit),
            decoder: new StringDecoder('utf8'),
          };
          array.splitter.push(stripBom(array.decoder.write(bytes)));
        } else {
          lines = new JsonLinesSplitter(emit);
          const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
          lines.pushBytes(bom ? bytes.subarray(3) : bytes);
        }
      }
      yield;
    }
    if (array) {
      array.splitter.push(array.decoder.end());
      array.splitter.end();
    } else if (lines) lines.end();
    else throw emptyFileError(file, rowsAre);
  } finally {
    await handle.close();
  }
}

/** Why a file without a row (empty, or blank) cannot be read. */
function emptyFileError(file: string, rowsAre: string): DatasetStructureError {
  return new DatasetStructureError(
    file,
    1,
    1,
    `the file is empty: expected ${rowsAre} as JSON Lines or a JSON array`,
  );
}

/**
 * A whole file's rows, split as feedRowTexts splits them, for a file small enough to read in one
 * call; `jsonArray` tells which splitter read it.
 */
export function emitRowTexts(
  file: string,
  bytes: Buffer,
  emit: (row: RowText) => void,
  rowsAre = 'rows',
): { jsonArray: boolean } {
  const body = stripBom(bytes.toString('utf8'));
  if (body.trim().length === 0) throw emptyFileError(file, rowsAre);
  return { jsonArray: splitBody(file, body, emit) };
}

/** Splits an in-memory document the same way (the editor already holds its text). */
export function splitRowTexts(file: string, text: string): RowText[] {
  const rows: RowText[] = [];
  const body = stripBom(text);
  if (body.trim().length > 0) splitBody(file, body, (r) => rows.push(r));
  return rows;
}

/** Splits a text that is not blank (its BOM removed) with the splitter it needs; true for a JSON array. */
function splitBody(file: string, body: string, emit: (row: RowText) => void): boolean {
  const jsonArray = looksLikeJsonArray(body);
  const splitter = jsonArray ? new JsonArraySplitter(file, emit) : new JsonLinesSplitter(emit);
  splitter.push(body);
  splitter.end();
  return jsonArray;
}

function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}
