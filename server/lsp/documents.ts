/**
 * The open documents the client syncs (incrementally), which of them are ShopBench datasets, and
 * their diagnostics, published after a short pause in typing so a burst of keystrokes costs
 * one validation pass.
 */
import type { Diagnostic, TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { JsonArraySplitter, looksLikeJsonArray } from '../dataset/rowTexts';
import { DatasetDocument } from './datasetDocument';
import { LineDocument } from './lineDocument';
import { hasDatasetExtension, looksLikeShopBenchRow, matchesGlobs } from './shopBenchDocument';

export const DIAGNOSTICS_DEBOUNCE_MS = 150;

interface OpenDocument {
  doc: LineDocument;
  /** Set once the document is recognised as ShopBench; it stays so while open (a broken first row mid-edit must not switch diagnostics off). */
  dataset?: DatasetDocument;
  timer?: NodeJS.Timeout;
}

export interface DocumentsOptions {
  globs: () => readonly string[];
  publish: (uri: string, version: number, diagnostics: Diagnostic[]) => void;
  debounceMs?: number;
}

export class DatasetDocuments {
  private readonly open = new Map<string, OpenDocument>();

  constructor(private readonly options: DocumentsOptions) {}

  didOpen(uri: string, languageId: string, version: number, text: string): void {
    const entry: OpenDocument = { doc: new LineDocument(uri, languageId, version, text) };
    this.open.set(uri, entry);
    if (this.isShopBench(uri, firstRowText(text))) {
      entry.dataset = new DatasetDocument(entry.doc);
      this.publishNow(uri);
    }
  }

  didChange(
    uri: string,
    version: number,
    changes: readonly TextDocumentContentChangeEvent[],
  ): void {
    const entry = this.open.get(uri);
    if (!entry) return;
    if (entry.dataset) {
      entry.dataset.applyChanges(changes, version);
    } else {
      for (const change of changes) entry.doc.apply(change, version);
      if (!this.isShopBench(uri, firstRowOf(entry.doc))) return;
      entry.dataset = new DatasetDocument(entry.doc);
    }
    this.schedule(uri, entry);
  }

  didClose(uri: string): void {
    const entry = this.open.get(uri);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.open.delete(uri);
    if (entry.dataset) this.options.publish(uri, entry.doc.version, []);
  }

  /** The ShopBench dataset open under `uri`, if any. */
  dataset(uri: string): DatasetDocument | undefined {
    return this.open.get(uri)?.dataset;
  }

  /** The current (possibly unsaved) text of any open document. */
  text(uri: string): string | undefined {
    return this.open.get(uri)?.doc.getText();
  }

  /** Validates now (cancelling a pending debounce) and publishes. */
  publishNow(uri: string): void {
    const entry = this.open.get(uri);
    if (!entry?.dataset) return;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    this.options.publish(uri, entry.doc.version, entry.dataset.diagnostics());
  }

  dispose(): void {
    for (const entry of this.open.values()) clearTimeout(entry.timer);
    this.open.clear();
  }

  private schedule(uri: string, entry: OpenDocument): void {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(
      () => this.publishNow(uri),
      this.options.debounceMs ?? DIAGNOSTICS_DEBOUNCE_MS,
    );
  }

  private isShopBench(uri: string, firstRow: string | undefined): boolean {
    const globs = this.options.globs();
    if (globs.length > 0 && matchesGlobs(uri, globs)) return true;
    return hasDatasetExtension(uri) && looksLikeShopBenchRow(firstRow);
  }
}

/** The first row of an open document, reading only its first lines. */
function firstRowOf(doc: LineDocument): string | undefined {
  for (let n = 0; n < doc.lineCount; n++) {
    const line = doc.line(n).replace(/^[\s\ufeff]+/, '');
    if (line === '') continue;
    // JSON Lines: the line is the row. A JSON array: read on until its first element closes.
    return line.startsWith('[')
      ? firstRowText(
          doc.getText({
            start: { line: n, character: 0 },
            end: { line: Math.min(doc.lineCount, n + 2000), character: 0 },
          }),
        )
      : line.trimEnd();
  }
  return undefined;
}

/** The first row's text without splitting the whole document (it may be 100 MB). */
export function firstRowText(text: string): string | undefined {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (!looksLikeJsonArray(body)) {
    for (let start = 0; start < body.length;) {
      let end = body.indexOf('\n', start);
      if (end < 0) end = body.length;
      const line = body.slice(start, end).trim();
      if (line.length > 0) return line;
      start = end + 1;
    }
    return undefined;
  }
  let first: string | undefined;
  const splitter = new JsonArraySplitter('', (r) => (first ??= r.text));
  try {
    for (let i = 0; i < body.length && first === undefined; i += 65536)
      splitter.push(body.slice(i, i + 65536));
  } catch {
    return undefined;
  }
  return first;
}
