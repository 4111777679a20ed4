/**
 * The MCPO language server: connection, capabilities and handler wiring only; the logic lives in
 * server/lsp/. The client picks the transport (node-ipc or --stdio); createConnection reads it
 * from the command line.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CodeLensRefreshRequest,
  createConnection,
  DidChangeConfigurationNotification,
  LSPErrorCodes,
  ProposedFeatures,
  ResponseError,
  TextDocumentSyncKind,
  type CancellationToken,
  type WorkDoneProgressReporter,
} from 'vscode-languageserver/node';
import * as protocol from './protocol/messages';
import { DEFAULT_LENS_DENSITY, parseLensDensity, rowLenses } from './lsp/codeLens';
import { valueCompletions } from './lsp/completion';
import { DatasetDocuments } from './lsp/documents';
import { rowHover } from './lsp/hover';
import { inferTaskType } from './lsp/inferTaskType';
import { exportSubmissionRequest } from './export/submission';
import { previewPrompt } from './lsp/previewPrompt';
import { fixesOf, isUserFacing, UserError } from './userError';
import type { FixData } from './protocol/fixHints';
import { checkEndpoints, compareRunDirs, getRun, listRuns } from './lsp/runQueries';
import { listModels } from './lsp/listModels';
import { resumeRun, runAblation, runDataset, runQuestion, type RunHost } from './lsp/runs';
import { readInitializationOptions } from './lsp/shopBenchDocument';
import { datasetSymbols } from './lsp/symbols';
import { JobsService } from './lsp/jobsHandlers';

const connection = createConnection(ProposedFeatures.all);
let datasetGlobs: string[] = [];
/** `mcpo.codeLens.density`, pulled from the client's configuration (and again when it changes). */
let lensDensity = DEFAULT_LENS_DENSITY;
let client = { configuration: false, watchConfiguration: false, refreshLenses: false };

const documents = new DatasetDocuments({
  globs: () => datasetGlobs,
  publish: (uri, version, diagnostics) =>
    void connection.sendDiagnostics({ uri, version, diagnostics }),
});

connection.onInitialize((params) => {
  datasetGlobs = readInitializationOptions(params.initializationOptions).datasetGlobs ?? [];
  const workspace = params.capabilities.workspace;
  client = {
    configuration: workspace?.configuration === true,
    watchConfiguration: workspace?.didChangeConfiguration?.dynamicRegistration === true,
    refreshLenses: workspace?.codeLens?.refreshSupport === true,
  };
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      hoverProvider: true,
      codeLensProvider: { resolveProvider: false },
      documentSymbolProvider: true,
      completionProvider: { triggerCharacters: ['"'] },
    },
    serverInfo: { name: 'mcpo-language-server', version: '0.1.0' },
  };
});

async function readLensDensity(): Promise<void> {
  if (!client.configuration) return;
  const section: unknown = await connection.workspace.getConfiguration('mcpo.codeLens');
  const next = parseLensDensity((section as { density?: unknown } | null)?.density);
  if (next === lensDensity) return;
  lensDensity = next;
  if (client.refreshLenses) void connection.sendRequest(CodeLensRefreshRequest.type);
}

connection.onInitialized(() => {
  if (client.watchConfiguration)
    void connection.client.register(DidChangeConfigurationNotification.type, { section: 'mcpo' });
  void readLensDensity().catch((err: unknown) =>
    connection.console.warn(`reading mcpo.codeLens.density: ${String(err)}`),
  );
});
connection.onDidChangeConfiguration(
  () =>
    void readLensDensity().catch((err: unknown) =>
      connection.console.warn(`reading mcpo.codeLens.density: ${String(err)}`),
    ),
);

connection.onDidOpenTextDocument((p) =>
  documents.didOpen(
    p.textDocument.uri,
    p.textDocument.languageId,
    p.textDocument.version,
    p.textDocument.text,
  ),
);
connection.onDidChangeTextDocument((p) =>
  documents.didChange(p.textDocument.uri, p.textDocument.version, p.contentChanges),
);
connection.onDidCloseTextDocument((p) => documents.didClose(p.textDocument.uri));
connection.onShutdown(() => documents.dispose());

connection.onHover((p) => {
  const dataset = documents.dataset(p.textDocument.uri);
  return dataset ? rowHover(dataset, p.position) : null;
});
connection.onCodeLens((p) => {
  const dataset = documents.dataset(p.textDocument.uri);
  return dataset ? rowLenses(dataset, lensDensity) : [];
});
connection.onDocumentSymbol((p) => {
  const dataset = documents.dataset(p.textDocument.uri);
  return dataset ? datasetSymbols(dataset) : [];
});
connection.onCompletion((p) => {
  const dataset = documents.dataset(p.textDocument.uri);
  return dataset ? valueCompletions(dataset.doc, p.position) : [];
});

// Custom requests ------------------------------------------------------------------------------

/** Runs a request; failures reach the user as one clear sentence, details go to the log. */
async function handle<R>(what: string, work: () => Promise<R> | R): Promise<R> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ResponseError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    // User errors are expected (bad settings, a broken row): no stack trace in the log either.
    connection.console.error(
      `${what} failed: ${!isUserFacing(err) && err instanceof Error ? (err.stack ?? message) : message}`,
    );
    // How to fix it travels as data (protocol/fixHints.ts): VS Code words it as settings and commands.
    const fixes = fixesOf(err);
    throw new ResponseError<FixData | undefined>(
      LSPErrorCodes.RequestFailed,
      `${what} failed: ${message}`,
      fixes.length > 0 ? { fixes: [...fixes] } : undefined,
    );
  }
}

/** `$/cancelRequest` (and cancelling the progress UI) aborts the engine's signal. */
function abortOn(token: CancellationToken, progress?: { token?: CancellationToken }): AbortSignal {
  const controller = new AbortController();
  token.onCancellationRequested(() => controller.abort());
  progress?.token?.onCancellationRequested(() => controller.abort());
  return controller.signal;
}

/** The client's token when it sent one, else a server-created progress (a no-op when the client has no progress UI). */
async function progressFor(
  workDoneToken: string | number | undefined,
): Promise<WorkDoneProgressReporter & { token?: CancellationToken }> {
  return workDoneToken !== undefined
    ? connection.window.attachWorkDoneProgress(workDoneToken)
    : await connection.window.createWorkDoneProgress();
}

const host: RunHost = {
  documentText: async (uri) => {
    const open = documents.text(uri);
    if (open !== undefined) return open;
    if (!uri.startsWith('file:')) throw new UserError(`${uri} is neither open nor a file`);
    const file = fileURLToPath(uri);
    try {
      return await fsp.readFile(file, 'utf8');
    } catch (err) {
      throw new UserError(
        `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  },
  sendRecord: (params) => void connection.sendNotification(protocol.RecordNotification, params),
  sendState: (params) => void connection.sendNotification(protocol.RunStateNotification, params),
  sendLocalModel: (params) =>
    void connection.sendNotification(protocol.LocalModelNotification, params),
  log: (message) => connection.console.log(message),
  warn: (message) => connection.console.warn(message),
};

connection.onRequest(protocol.RunDatasetRequest, (params, token) =>
  handle('Run', async () => {
    const progress = await progressFor(params.workDoneToken);
    return runDataset(host, params, abortOn(token, progress), progress);
  }),
);
connection.onRequest(protocol.ResumeRunRequest, (params, token) =>
  handle('Resuming the run', async () => {
    const progress = await progressFor(params.workDoneToken);
    return resumeRun(host, params, abortOn(token, progress), progress);
  }),
);
connection.onRequest(protocol.RunQuestionRequest, (params, token) =>
  handle('Run question', async () => {
    const progress = await progressFor(params.workDoneToken);
    return runQuestion(host, params, abortOn(token, progress), progress);
  }),
);
connection.onRequest(protocol.RunAblationRequest, (params, token) =>
  handle('Ablation', async () => {
    const progress = await progressFor(params.workDoneToken);
    return runAblation(host, params, abortOn(token, progress), progress);
  }),
);
connection.onRequest(protocol.InferTaskTypeRequest, (params) =>
  handle('Inferring the task type', () => inferTaskType(params.question)),
);
connection.onRequest(protocol.ListRunsRequest, (params) =>
  handle('Listing runs', () =>
    listRuns(params.runsDir, (m) => connection.console.warn(m), params.baselineDir),
  ),
);
connection.onRequest(protocol.GetRunRequest, (params) =>
  handle(`Opening run ${params.runDir}`, () => getRun(params.runDir)),
);
connection.onRequest(protocol.CompareRunsRequest, (params) =>
  handle('Comparing runs', () => compareRunDirs(params.baselineDir, params.candidateDir)),
);
connection.onRequest(protocol.CheckEndpointsRequest, (params, token) =>
  handle('Checking endpoints', () => checkEndpoints(params, abortOn(token))),
);
connection.onRequest(protocol.ListModelsRequest, (params, token) =>
  handle(`Listing the models of ${params.url}`, () => listModels(params, abortOn(token))),
);
connection.onRequest(protocol.PreviewPromptRequest, (params) =>
  handle(`Prompt preview of row ${params.row + 1}`, async () =>
    previewPrompt(params.uri, await host.documentText(params.uri), params.row, params.templates),
  ),
);
connection.onRequest(protocol.ExportSubmissionRequest, (params) =>
  handle('Exporting the submission', () => exportSubmissionRequest(params)),
);

// Jobs: fine-tune / sweep / merge / quantize on Slurm or locally (server/lsp/jobsHandlers.ts).
const jobs = new JobsService(
  {
    notify: (p) => void connection.sendNotification(protocol.JobsChangedNotification, p),
    log: (m) => connection.console.log(m),
  },
  // Sweep jobs call `mcpo select`: the CLI bundle sits next to this one.
  // Desktop VS Code starts this server with its Electron binary (ELECTRON_RUN_AS_NODE=1 set in our
  // environment only); job scripts run with a minimal environment, so they must say it themselves.
  {
    mcpoCommand: [
      'env',
      'ELECTRON_RUN_AS_NODE=1',
      process.execPath,
      path.join(__dirname, 'cli.js'),
    ],
  },
);
connection.onRequest(protocol.ListJobsRequest, (params) =>
  handle('Listing jobs', () => jobs.list(params)),
);
connection.onRequest(protocol.PrepareJobRequest, (params) =>
  handle(`Preparing the ${params.kind} job`, () => jobs.prepare(params)),
);
connection.onRequest(protocol.SubmitJobRequest, (params) =>
  handle(`Submitting the ${params.kind} job`, () => jobs.submit(params)),
);
connection.onRequest(protocol.CancelJobRequest, (params) =>
  handle(`Cancelling job ${params.id}`, () => jobs.cancel(params)),
);
connection.onRequest(protocol.JobLogsRequest, (params) =>
  handle(`Reading the logs of job ${params.id}`, () => jobs.logs(params)),
);
connection.onRequest(protocol.SelectDataRequest, (params) =>
  handle('Selecting fine-tune data', () => jobs.selectData(params)),
);
connection.onRequest(protocol.PreparePipelineRequest, (params) =>
  handle('Preparing the pipeline', () => jobs.preparePipeline(params)),
);
connection.onRequest(protocol.SubmitPipelineRequest, (params) =>
  handle('Submitting the pipeline', () => jobs.submitPipeline(params)),
);
connection.onRequest(protocol.CheckpointTablesRequest, (params) =>
  handle('Tabulating checkpoints', () => jobs.checkpointTables(params)),
);

connection.listen();
