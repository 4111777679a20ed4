/**
 * One open dataset document: its text, its rows (with where each starts) and each row's
 * validation. It has to stay fast on a 100,000-row file while the user types, so:
 * - validation results are cached by the row's text (Map<text, problems without position>):
 *   only rows whose text is new get parsed and validated again;
 * - for JSON Lines, an edit re-splits only the lines it touched and shifts the rows after it;
 *   a JSON array (rows span lines, structure matters) is re-split whole, still with the cache;
 * - positions are never cached: they are recomputed from each row's current line when the
 *   diagnostics are built.
 */
import {
  DiagnosticSeverity,
  type Diagnostic,
  type TextDocumentContentChangeEvent,
} from 'vscode-languageserver';
import type { LineDocument } from './lineDocument';
import { checkRowText } from '../dataset/load';
import {
  DatasetStructureError,
  JsonArraySplitter,
  JsonLinesSplitter,
  looksLikeJsonArray,
  type RowText,
} from '../dataset/rowTexts';
import type { Severity } from '../dataset/validate';

/** The fields outline, hover and completion need from a row, read once when it is validated. */
export interface RowSummary {
  task_name?: string;
  task_type?: string;
  metric?: string;
  track?: string;
}

/** A problem relative to its row's start: valid wherever the row moves. */
export interface RowProblem {
  severity: Severity;
  /** As checkRowText words it for row 1 (see `messageFor`). */
  message: string;
  /** Lines after the row's first line (0 for JSON Lines). */
  relLine: number;
  /** 1-based; relative to the row's start on its first line, absolute on later lines. */
  column: number;
  length?: number;
}

export interface RowCheck {
  valid: boolean;
  problems: RowProblem[];
  summary: RowSummary;
}

export interface RowEntry {
  /** 0-based line and character where the row's text starts. */
  line: number;
  character: number;
  /** Lines the row spans (1 for JSON Lines). */
  lineCount: number;
  text: string;
  check?: RowCheck;
}

const EMPTY_SUMMARY: RowSummary = {};

export class DatasetDocument {
  rows: RowEntry[] = [];
  /** A problem of the file's structure (JSON arrays only), 0-based position. */
  structureError: { line: number; character: number; message: string } | undefined;
  private cache = new Map<string, RowCheck>();
  private isArray = false;

  constructor(readonly doc: LineDocument) {
    this.rebuild();
  }

  get uri(): string {
    return this.doc.uri;
  }

  /** Applies LSP content changes in order, keeping the rows in step. */
  applyChanges(changes: readonly TextDocumentContentChangeEvent[], version: number): void {
    for (const change of changes) {
      const touched = this.doc.apply(change, version);
      if (!touched || this.isArray) {
        this.rebuild();
        continue;
      }
      // The first row decides JSON Lines vs array: an edit at or before it may switch the format.
      const firstLine = this.rows.length > 0 ? this.rows[0].line : Number.POSITIVE_INFINITY;
      if (touched.start <= firstLine && looksLikeJsonArray(this.firstNonBlankLine())) {
        this.rebuild();
        continue;
      }
      this.replaceLines(touched.start, touched.oldEnd, touched.newEnd);
    }
  }

  /** Rows on old lines [start, oldEnd] are replaced by the rows now on lines [start, newEnd]. */
  private replaceLines(start: number, oldEnd: number, newEnd: number): void {
    const lo = this.firstRowAtOrAfter(start);
    const hi = this.firstRowAtOrAfter(oldEnd + 1);
    const delta = newEnd - oldEnd;
    const fresh: RowEntry[] = [];
    const splitter = new JsonLinesSplitter((r) => fresh.push(entryOf(r, start)));
    this.pushLines(splitter, start, newEnd);
    if (delta !== 0) for (let i = hi; i < this.rows.length; i++) this.rows[i].line += delta;
    if (fresh.length > 10_000)
      this.rows = this.rows.slice(0, lo).concat(fresh, this.rows.slice(hi));
    else this.rows.splice(lo, hi - lo, ...fresh);
  }

  private rebuild(): void {
    const rows: RowEntry[] = [];
    this.structureError = undefined;
    this.isArray = looksLikeJsonArray(this.firstNonBlankLine());
    const splitter = this.isArray
      ? new JsonArraySplitter(this.uri, (r) => rows.push(entryOf(r, 0)))
      : new JsonLinesSplitter((r) => rows.push(entryOf(r, 0)));
    if (this.firstNonBlankLine() !== '') {
      try {
        this.pushLines(splitter, 0, this.doc.lineCount - 1);
        splitter.end();
      } catch (err) {
        if (!(err instanceof DatasetStructureError)) throw err;
        this.structureError = {
          line: err.line - 1,
          character: err.column - 1,
          message: err.message.slice(err.message.indexOf(': ', err.file.length) + 2),
        };
      }
    }
    this.rows = rows;
  }

  /** Feeds lines [from, to] to a splitter, line by line (the text is never joined into one string). */
  private pushLines(
    splitter: JsonLinesSplitter | JsonArraySplitter,
    from: number,
    to: number,
  ): void {
    for (let n = from; n <= to; n++) {
      const line = this.doc.line(n);
      // A BOM becomes a space: the splitters skip it and columns stay those the editor shows.
      splitter.push(n === 0 && line.charCodeAt(0) === 0xfeff ? ` ${line.slice(1)}` : line);
      splitter.push('\n');
    }
    if (splitter instanceof JsonLinesSplitter) splitter.end();
  }

  private firstNonBlankLine(): string {
    for (let n = 0; n < this.doc.lineCount; n++) {
      const line = this.doc.line(n).replace(/^[\s\ufeff]+/, '');
      if (line !== '') return line;
    }
    return '';
  }

  /** Index of the first row starting at or after `line`. */
  firstRowAtOrAfter(line: number): number {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rows[mid].line < line) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The row whose text covers `line`, with its 0-based ordinal. */
  rowAt(line: number): { index: number; entry: RowEntry } | undefined {
    const index = this.firstRowAtOrAfter(line + 1) - 1;
    const entry = this.rows[index];
    return entry && line < entry.line + entry.lineCount ? { index, entry } : undefined;
  }

  /** The row's validation, from the cache when this text was seen before. */
  checkOf(entry: RowEntry): RowCheck {
    if (entry.check) return entry.check;
    let check = this.cache.get(entry.text);
    if (!check) {
      check = checkRowEntryText(entry.text);
      this.cache.set(entry.text, check);
    }
    entry.check = check;
    return check;
  }

  /** Validates every row (cached ones cost a lookup) and positions the problems. */
  diagnostics(): Diagnostic[] {
    const out: Diagnostic[] = [];
    if (this.structureError) {
      const { line, character, message } = this.structureError;
      out.push({
        range: { start: { line, character }, end: { line, character: character + 1 } },
        severity: DiagnosticSeverity.Error,
        source: 'mcpo',
        message,
      });
    }
    const rows = this.rows;
    for (let i = 0; i < rows.length; i++) {
      const entry = rows[i];
      const check = this.checkOf(entry);
      for (const p of check.problems) out.push(toDiagnostic(entry, i, p));
    }
    this.pruneCache();
    return out;
  }

  /** Drops cached texts no row has any more (every keystroke of a row leaves one behind). */
  private pruneCache(): void {
    if (this.cache.size <= 2 * this.rows.length + 1000) return;
    const kept = new Map<string, RowCheck>();
    for (const entry of this.rows) if (entry.check) kept.set(entry.text, entry.check);
    this.cache = kept;
  }
}

function entryOf(r: RowText, lineOffset: number): RowEntry {
  let lineCount = 1;
  for (let i = r.text.indexOf('\n'); i >= 0; i = r.text.indexOf('\n', i + 1)) lineCount++;
  return { line: lineOffset + r.line - 1, character: r.column - 1, lineCount, text: r.text };
}

/** Validates one row's text as if it were row 1 at line 1, column 1 (positions are relative). */
export function checkRowEntryText(text: string): RowCheck {
  const { row, problems } = checkRowText('', { rowIndex: 0, line: 1, column: 1, text });
  return {
    valid: row !== undefined,
    problems: problems.map((p) => ({
      severity: p.severity,
      message: p.message,
      relLine: p.line - 1,
      column: p.column,
      length: p.length,
    })),
    summary: row ? summaryOf(row.row) : summaryOfText(text),
  };
}

function summaryOfText(text: string): RowSummary {
  try {
    return summaryOf(JSON.parse(text));
  } catch {
    return EMPTY_SUMMARY;
  }
}

function summaryOf(value: unknown): RowSummary {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return EMPTY_SUMMARY;
  const o = value as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof o[k] === 'string' ? o[k] : undefined);
  return {
    task_name: str('task_name'),
    task_type: str('task_type'),
    metric: str('metric'),
    track: str('track'),
  };
}

/**
 * The validator's messages name the row ("row 3 is not valid JSON"); cached problems were made as
 * row 1, so the number is put back for the row's current ordinal.
 */
export function messageFor(p: RowProblem, rowIndex: number): string {
  return rowIndex !== 0 && p.message.startsWith('row 1 ')
    ? `row ${rowIndex + 1} ${p.message.slice(6)}`
    : p.message;
}

function toDiagnostic(entry: RowEntry, rowIndex: number, p: RowProblem): Diagnostic {
  const line = entry.line + p.relLine;
  const character = p.relLine === 0 ? entry.character + p.column - 1 : p.column - 1;
  // Without a field (a JSON error, a missing field) the rest of the row's first line is marked.
  const length =
    p.length ?? (p.relLine === 0 ? Math.max(1, firstLineLength(entry.text) - (p.column - 1)) : 1);
  return {
    range: { start: { line, character }, end: { line, character: character + length } },
    severity: p.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    source: 'mcpo',
    message: messageFor(p, rowIndex),
  };
}

function firstLineLength(text: string): number {
  const nl = text.indexOf('\n');
  return nl < 0 ? text.length : nl;
}
