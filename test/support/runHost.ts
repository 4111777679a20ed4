/**
 * What server/lsp/runs.ts needs from the language server connection, for unit tests that call
 * the run requests directly: a document's text, a log that keeps its lines, no progress UI.
 */
import * as path from 'node:path';
import type { WorkDoneProgressReporter } from 'vscode-languageserver';
import type { RunHost } from '../../server/lsp/runs';
import type { PipelineSettings } from '../../server/protocol/settings';

export const noProgress: WorkDoneProgressReporter = {
  begin: () => undefined,
  report: () => undefined,
  done: () => undefined,
};

/** A host whose documents read `text(uri)` and whose log lines go to `logs` (warnings marked `[warning] `). */
export function fakeRunHost(text: (uri: string) => string, logs: string[] = []): RunHost {
  return {
    documentText: (uri) => Promise.resolve(text(uri)),
    sendRecord: () => undefined,
    sendState: () => undefined,
    sendLocalModel: () => undefined,
    log: (m) => logs.push(m),
    warn: (m) => logs.push(`[warning] ${m}`),
  };
}

/** VS Code's settings for M_L at `baseUrl` (no CoT, no hints), runs and cache under `dir`. */
export function runSettings(baseUrl: string, dir: string, concurrency = 2): PipelineSettings {
  return {
    llm: { url: baseUrl, model: 'test-model', mode: 'chat', concurrency },
    embedModel: '',
    templates: 'paper',
    cot: 'off',
    cotTaskTypes: [],
    similarityK: 0,
    constrained: false,
    runsDir: path.join(dir, 'runs'),
    cacheDir: path.join(dir, 'cache'),
    scoringEmbedModel: '',
    scoringMultilingualEmbedModel: '',
  };
}
