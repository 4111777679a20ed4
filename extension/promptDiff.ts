/**
 * The prompt view: ONE read-only editor showing the MCPO prompt, every inserted or replaced
 * segment coloured by its stage (contributed theme colours with light, dark and high-contrast
 * values, apart from the diff editor's red and green), the original text a replaced segment
 * stands for drawn before it struck through, a colour key on the first line, hovers with the
 * stage, model, similarity scores and cache marks, and word wrap (the `mcpo-prompt` language's
 * default). The side-by-side diff (original ↔ MCPO) is one click away: the editor title action
 * and the lens "Show Side-by-Side Diff". Views render from spans (see promptSpans.ts).
 */
import * as vscode from 'vscode';
import type { AssembledPrompt, RunRecord } from '../server/protocol/runs';
import { formatAnswer, formatSampleValue } from './format';
import {
  promptTitle,
  promptViewModel,
  REPLACED_COLOUR,
  spanAt,
  spanHoverMarkdown,
  SPAN_STYLES,
  styleColours,
  type PromptViewModel,
  type SpanStyle,
} from './promptSpans';

export const PROMPT_SCHEME = 'mcpo-prompt';
/** The language of prompt documents: package.json gives it word wrap by default. */
export const PROMPT_LANGUAGE = 'mcpo-prompt';
const MAX_ENTRIES = 200;

interface PromptEntry {
  prompt: AssembledPrompt;
  record?: RunRecord;
  /** Short title without the view's name, e.g. "Q65". */
  question?: { index: number; task_name?: string };
  /** The span view's model; absent for the diff's two sides. */
  view?: PromptViewModel;
  /** The diff's modified side: decorated with the prompt's own offsets. */
  diffSide?: 'original' | 'modified';
  /** A diff side: the key of the diff it belongs to (see diffKey). */
  diffKey?: string;
}

/** An open (or once opened) side-by-side diff: its two documents and its tab's title. */
interface DiffPair {
  left: vscode.Uri;
  right: vscode.Uri;
  title: string;
}

export interface ShowPromptOptions {
  record?: RunRecord;
  question?: { index: number; task_name?: string };
  /** A templates-only preview (no model calls) rather than a run's prompt. */
  preview?: boolean;
}

/** The diff's two documents as their tab's accessible name reads them. */
const DIFF_SIDE_NAMES = {
  original: 'prompt as in the dataset',
  modified: 'prompt sent to the model',
} as const;

export class PromptDiff
  implements
    vscode.TextDocumentContentProvider,
    vscode.HoverProvider,
    vscode.CodeLensProvider,
    vscode.Disposable
{
  private readonly entries = new Map<string, PromptEntry>();
  /** Diffs by what they show, so the same diff asked again is revealed, not opened twice (K4). */
  private readonly diffs = new Map<string, DiffPair>();
  private readonly styles: Record<SpanStyle, vscode.TextEditorDecorationType>;
  private readonly ghost: vscode.TextEditorDecorationType;
  private readonly replacedKey: vscode.TextEditorDecorationType;
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.styles = Object.fromEntries(SPAN_STYLES.map((s) => [s, this.styleType(s)])) as Record<
      SpanStyle,
      vscode.TextEditorDecorationType
    >;
    const replaced = new vscode.ThemeColor(REPLACED_COLOUR);
    // contentText is set per span (renderOptions); the look is shared.
    this.ghost = vscode.window.createTextEditorDecorationType({
      before: {
        color: replaced,
        textDecoration: 'line-through',
        fontStyle: 'italic',
        margin: '0 0.4em 0 0',
      },
    });
    this.replacedKey = vscode.window.createTextEditorDecorationType({
      color: replaced,
      textDecoration: 'line-through',
      fontStyle: 'italic',
    });
    this.disposables.push(
      vscode.workspace.registerTextDocumentContentProvider(PROMPT_SCHEME, this),
      vscode.languages.registerHoverProvider({ scheme: PROMPT_SCHEME }, this),
      vscode.languages.registerCodeLensProvider({ scheme: PROMPT_SCHEME }, this),
      vscode.window.onDidChangeVisibleTextEditors((editors) =>
        editors.forEach((e) => this.decorate(e)),
      ),
    );
  }

  private styleType(style: SpanStyle): vscode.TextEditorDecorationType {
    const colours = styleColours(style);
    return vscode.window.createTextEditorDecorationType({
      backgroundColor: new vscode.ThemeColor(colours.background),
      border: '1px solid',
      borderColor: new vscode.ThemeColor(colours.border),
      borderRadius: '2px',
      overviewRulerColor: new vscode.ThemeColor(colours.border),
      overviewRulerLane: vscode.OverviewRulerLane.Right,
    });
  }

  /**
   * Entries are kept for the most recent prompts rather than dropped when a document closes:
   * setting a document's language closes and reopens it, and a reopened tab needs its entry.
   */
  private remember(uri: vscode.Uri, entry: PromptEntry): void {
    this.entries.set(uri.toString(), entry);
    dropOldest(this.entries);
  }

  /** A fresh URI per view (a question can be open twice); `name` is what the tab shows. */
  private newUri(name: string): vscode.Uri {
    const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    return vscode.Uri.from({ scheme: PROMPT_SCHEME, path: `/${id}/${name}` });
  }

  /** Opens the span view of one question's assembled prompt (the default prompt view). */
  async show(prompt: AssembledPrompt, options: ShowPromptOptions = {}): Promise<vscode.TextEditor> {
    const title = promptTitle(options.question, options.preview ? 'prompt preview' : 'MCPO prompt');
    const uri = this.newUri(title);
    this.remember(uri, {
      prompt,
      record: options.record,
      question: options.question,
      view: promptViewModel(prompt),
    });
    const document = await this.open(uri);
    const editor = await vscode.window.showTextDocument(document, { preview: false });
    this.decorate(editor);
    return editor;
  }

  /** The side-by-side diff (original ↔ MCPO) of one question's prompt, without its span view. */
  async showSideBySide(prompt: AssembledPrompt, options: ShowPromptOptions = {}): Promise<void> {
    const uri = this.newUri(promptTitle(options.question, 'MCPO prompt'));
    this.remember(uri, {
      prompt,
      record: options.record,
      question: options.question,
      view: promptViewModel(prompt),
    });
    await this.showDiff(uri);
  }

  /** The side-by-side diff (original ↔ MCPO) of a span view's prompt. */
  async showDiff(uri: vscode.Uri | undefined): Promise<void> {
    const source = uri ?? vscode.window.activeTextEditor?.document.uri;
    const entry = source && this.entries.get(source.toString());
    if (!entry)
      throw new Error('open a prompt view first (Show Prompt on a row, or a run’s question)');
    const title = promptTitle(entry.question, 'original ↔ MCPO');
    // Asked from a diff's own side (the palette with the diff active), it is that diff.
    const key = entry.diffKey ?? diffKey(title, entry.prompt);
    const open = this.diffs.get(key);
    const tab = open && diffTab(open);
    if (open && tab) {
      // The same prompt's diff is open (the report's "Show prompt diff", then the palette):
      // show that tab where it is rather than a second identical one.
      await vscode.commands.executeCommand('vscode.diff', open.left, open.right, open.title, {
        preview: false,
        viewColumn: tab.group.viewColumn,
      });
      return;
    }
    // VS Code names a diff tab (hover, screen readers) "<title> (<left name> ↔ <right name>)":
    // the sides say what each is rather than repeating the title.
    const left = this.newUri(DIFF_SIDE_NAMES.original);
    const right = this.newUri(DIFF_SIDE_NAMES.modified);
    this.remember(left, {
      prompt: { original: entry.prompt.original, final: entry.prompt.original, spans: [] },
      diffSide: 'original',
      diffKey: key,
    });
    this.remember(right, { ...entry, view: undefined, diffSide: 'modified', diffKey: key });
    this.diffs.delete(key);
    this.diffs.set(key, { left, right, title });
    dropOldest(this.diffs);
    await Promise.all([this.open(left), this.open(right)]);
    await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: false });
    vscode.window.visibleTextEditors.forEach((e) => this.decorate(e));
  }

  /** Opens a prompt document in the prompt language (word wrap on by default). */
  private async open(uri: vscode.Uri): Promise<vscode.TextDocument> {
    const document = await vscode.workspace.openTextDocument(uri);
    return document.languageId === PROMPT_LANGUAGE
      ? document
      : vscode.languages.setTextDocumentLanguage(document, PROMPT_LANGUAGE);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const entry = this.entries.get(uri.toString());
    if (!entry) return '';
    return entry.view?.text ?? entry.prompt.final;
  }

  private decorate(editor: vscode.TextEditor): void {
    const entry = this.entries.get(editor.document.uri.toString());
    if (!entry) return;
    const doc = editor.document;
    const range = (start: number, end: number): vscode.Range =>
      new vscode.Range(doc.positionAt(start), doc.positionAt(end));
    if (entry.view) {
      const view = entry.view;
      for (const style of SPAN_STYLES) {
        const ranges = [
          ...view.key.filter((k) => k.style === style).map((k) => range(k.start, k.end)),
          ...view.ranges.filter((r) => r.style === style).map((r) => range(r.start, r.end)),
        ];
        editor.setDecorations(this.styles[style], ranges);
      }
      editor.setDecorations(
        this.replacedKey,
        view.key.filter((k) => k.style === 'replaced').map((k) => range(k.start, k.end)),
      );
      editor.setDecorations(
        this.ghost,
        view.ghosts.map((g) => ({
          range: range(g.at, g.at),
          renderOptions: { before: { contentText: g.text } },
        })),
      );
      return;
    }
    // The diff's modified side: the same stage colours at the prompt's own offsets.
    const spans = entry.diffSide === 'modified' ? entry.prompt.spans : [];
    const model = promptViewModel({ ...entry.prompt, spans });
    for (const style of SPAN_STYLES) {
      editor.setDecorations(
        this.styles[style],
        model.ranges
          .filter((r) => r.style === style)
          .map((r) => range(r.start - model.promptStart, r.end - model.promptStart)),
      );
    }
  }

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const entry = this.entries.get(document.uri.toString());
    if (!entry) return undefined;
    const model =
      entry.view ??
      promptViewModel({
        ...entry.prompt,
        spans: entry.diffSide === 'modified' ? entry.prompt.spans : [],
      });
    // The diff's sides hold the bare prompt: shift into the model's coordinates.
    const shift = entry.view ? 0 : model.promptStart;
    const hit = spanAt(model, document.offsetAt(position) + shift);
    if (!hit) return undefined;
    const md = new vscode.MarkdownString(spanHoverMarkdown(hit.span, entry.record));
    return new vscode.Hover(
      md,
      new vscode.Range(
        document.positionAt(hit.start - shift),
        document.positionAt(Math.max(hit.end, hit.start) - shift),
      ),
    );
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const entry = this.entries.get(document.uri.toString());
    if (!entry?.view) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    const lenses = [
      new vscode.CodeLens(top, {
        title: 'Show Side-by-Side Diff',
        command: 'mcpo.showSideBySideDiff',
        arguments: [document.uri],
      }),
    ];
    if (entry.record)
      lenses.push(new vscode.CodeLens(top, { title: answerSummary(entry.record), command: '' }));
    return lenses;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    for (const d of Object.values(this.styles)) d.dispose();
    this.ghost.dispose();
    this.replacedKey.dispose();
  }
}

/** Drops the oldest entries beyond MAX_ENTRIES (a Map iterates in the order keys were set). */
function dropOldest(map: Map<string, unknown>): void {
  while (map.size > MAX_ENTRIES) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) break;
    map.delete(oldest);
  }
}

/** Two diffs of one question's prompt are the same diff when the prompt and its spans are. */
function diffKey(title: string, prompt: AssembledPrompt): string {
  return JSON.stringify([title, prompt.original, prompt.final, prompt.spans]);
}

/** The tab showing `pair`, if it is still open. */
function diffTab(pair: DiffPair): vscode.Tab | undefined {
  for (const group of vscode.window.tabGroups.all)
    for (const tab of group.tabs)
      if (
        tab.input instanceof vscode.TabInputTextDiff &&
        tab.input.original.toString() === pair.left.toString() &&
        tab.input.modified.toString() === pair.right.toString()
      )
        return tab;
  return undefined;
}

function answerSummary(record: RunRecord): string {
  if (record.status === 'failed')
    return `FAILED at ${record.error?.stage ?? '?'}: ${record.error?.message ?? ''}`;
  const cached = record.answer?.cached ? ' (cached)' : '';
  const truth = record.truth === undefined ? '' : ` · truth ${formatAnswer(record.truth)}`;
  return `answer ${formatAnswer(record.response)}${cached} · parsed ${formatAnswer(record.parsed)}${truth} · score ${formatSampleValue(record.score)}`;
}
