/**
 * The inline prompt diff: the original prompt on the left, the final MCPO prompt on the right,
 * as read-only virtual documents in VS Code's diff editor. Every provenance span of the final
 * prompt is highlighted by stage (three theme-aware colours), hovering a span tells its stage,
 * model and (for similarity) every option's score, and a CodeLens shows the answer, parsed
 * value, truth and score. Views render from spans; nothing re-diffs strings.
 */
import * as vscode from 'vscode';
import type { RunRecord } from '../server/runs/runTypes';
import type { AssembledPrompt, ProvenanceSpan, Stage } from '../server/pipeline/types';

export const PROMPT_SCHEME = 'mcpo-prompt';

interface PromptEntry {
  prompt: AssembledPrompt;
  record?: RunRecord;
}

const STAGE_COLOURS: Record<Stage, string> = {
  cot: 'mcpo.cotBackground',
  similarity: 'mcpo.similarityBackground',
  template: 'mcpo.templateBackground',
};

const STAGE_NAMES: Record<Stage, string> = {
  cot: 'chain of thought',
  similarity: 'similarity hint',
  template: 'template',
};

export class PromptDiff
  implements
    vscode.TextDocumentContentProvider,
    vscode.HoverProvider,
    vscode.CodeLensProvider,
    vscode.Disposable
{
  private readonly entries = new Map<string, PromptEntry>();
  private readonly decorations: Record<Stage, vscode.TextEditorDecorationType>;
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.decorations = {
      cot: this.decorationType('cot'),
      similarity: this.decorationType('similarity'),
      template: this.decorationType('template'),
    };
    this.disposables.push(
      vscode.workspace.registerTextDocumentContentProvider(PROMPT_SCHEME, this),
      vscode.languages.registerHoverProvider({ scheme: PROMPT_SCHEME }, this),
      vscode.languages.registerCodeLensProvider({ scheme: PROMPT_SCHEME }, this),
      vscode.window.onDidChangeVisibleTextEditors((editors) =>
        editors.forEach((e) => this.decorate(e)),
      ),
      // A closed diff's prompts are not needed again (each show() makes new URIs).
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (d.uri.scheme === PROMPT_SCHEME) this.entries.delete(d.uri.toString());
      }),
    );
  }

  private decorationType(stage: Stage): vscode.TextEditorDecorationType {
    return vscode.window.createTextEditorDecorationType({
      backgroundColor: new vscode.ThemeColor(STAGE_COLOURS[stage]),
      overviewRulerColor: new vscode.ThemeColor(STAGE_COLOURS[stage]),
      overviewRulerLane: vscode.OverviewRulerLane.Right,
    });
  }

  /** Opens the diff for one question's assembled prompt. */
  async show(prompt: AssembledPrompt, title: string, record?: RunRecord): Promise<void> {
    const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const left = vscode.Uri.from({ scheme: PROMPT_SCHEME, path: `/${id}/original prompt.txt` });
    const right = vscode.Uri.from({ scheme: PROMPT_SCHEME, path: `/${id}/MCPO prompt.txt` });
    this.entries.set(left.toString(), {
      prompt: { original: prompt.original, final: prompt.original, spans: [] },
    });
    this.entries.set(right.toString(), { prompt, record });
    await vscode.commands.executeCommand(
      'vscode.diff',
      left,
      right,
      `${title} — original ↔ MCPO (CoT · similarity · template)`,
      { preview: false },
    );
    vscode.window.visibleTextEditors.forEach((e) => this.decorate(e));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.entries.get(uri.toString())?.prompt.final ?? '';
  }

  private decorate(editor: vscode.TextEditor): void {
    const entry = this.entries.get(editor.document.uri.toString());
    if (!entry) return;
    for (const stage of Object.keys(this.decorations) as Stage[]) {
      const ranges = entry.prompt.spans
        .filter((s) => s.stage === stage)
        .map((s) => this.range(editor.document, s));
      editor.setDecorations(this.decorations[stage], ranges);
    }
  }

  private range(document: vscode.TextDocument, span: ProvenanceSpan): vscode.Range {
    return new vscode.Range(document.positionAt(span.start), document.positionAt(span.end));
  }

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const entry = this.entries.get(document.uri.toString());
    if (!entry) return undefined;
    const offset = document.offsetAt(position);
    const span = entry.prompt.spans.find((s) => s.start <= offset && offset < s.end);
    if (!span) return undefined;
    return new vscode.Hover(spanHover(span), this.range(document, span));
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const entry = this.entries.get(document.uri.toString());
    if (!entry?.record) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    return [
      new vscode.CodeLens(top, { title: answerSummary(entry.record), command: '' }),
      new vscode.CodeLens(top, {
        title: 'Legend: green = chain of thought · blue = similarity hint · orange = template',
        command: '',
      }),
    ];
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    for (const d of Object.values(this.decorations)) d.dispose();
  }
}

/** Markdown for a span; model and option text are escaped (they are model or user text). */
export function spanHover(span: ProvenanceSpan): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${STAGE_NAMES[span.stage]}** (${span.kind})`);
  if (span.model) {
    md.appendMarkdown(' by ');
    md.appendText(span.model);
  }
  if (span.original !== undefined) {
    md.appendMarkdown('\n\nreplaces: ');
    md.appendText(JSON.stringify(span.original));
  }
  if (span.scores) {
    md.appendMarkdown('\n\n| option | score |\n|---:|---:|\n');
    for (const s of span.scores) {
      md.appendMarkdown(`| ${s.number} | ${s.score.toFixed(4)} |\n`);
    }
  }
  return md;
}

function answerSummary(record: RunRecord): string {
  const show = (v: unknown): string => (v === undefined ? '—' : JSON.stringify(v));
  return `answer: ${show(record.response)} · parsed: ${show(record.parsed)} · truth: ${show(record.truth)} · score: ${show(record.score)}${record.status === 'failed' ? ` · FAILED: ${record.error?.message ?? ''}` : ''}`;
}
