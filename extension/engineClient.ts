/**
 * The extension's only road to the engine: a language client for server/main.ts with typed
 * wrappers over the mcpo/* protocol. The engine runs in its own process, so long runs never
 * block the extension host.
 */
import * as vscode from 'vscode';
import {
  LanguageClient,
  TransportKind,
  WorkDoneProgress,
  type LanguageClientOptions,
  type ServerOptions,
  type WorkDoneProgressBegin,
  type WorkDoneProgressEnd,
  type WorkDoneProgressReport,
} from 'vscode-languageclient/node';
import {
  CheckEndpointsRequest,
  CompareRunsRequest,
  GetRunRequest,
  InferTaskTypeRequest,
  ListModelsRequest,
  ListRunsRequest,
  LocalModelNotification,
  PreviewPromptRequest,
  RecordNotification,
  RunAblationRequest,
  RunDatasetRequest,
  RunQuestionRequest,
  RunStateNotification,
  type CheckEndpointsParams,
  type CheckEndpointsResult,
  type CompareRunsResult,
  type GetRunResult,
  type InferTaskTypeResult,
  type ListModelsParams,
  type ListModelsResult,
  type LocalModelParams,
  type PreviewPromptParams,
  type RecordNotificationParams,
  type RunAblationParams,
  type RunAblationResult,
  type RunDatasetParams,
  type RunDatasetResult,
  type RunListItem,
  type RunQuestionParams,
  type RunStateParams,
  CancelJobRequest,
  JobLogsRequest,
  JobsChangedNotification,
  ListJobsRequest,
  PrepareJobRequest,
  SelectDataRequest,
  SubmitJobRequest,
  type CancelJobResult,
  type JobIdParams,
  type JobLogsResult,
  type JobsChangedParams,
  type ListJobsParams,
  type ListJobsResult,
  type PrepareJobParams,
  type PrepareJobResult,
  type SelectDataParams,
  type SelectDataResult,
  type SubmitJobParams,
  type SubmitJobResult,
} from '../server/protocol';
import type { AssembledPrompt } from '../server/pipeline/types';

export class EngineClient implements vscode.Disposable {
  private readonly client: LanguageClient;
  private readonly recordEmitter = new vscode.EventEmitter<RecordNotificationParams>();
  private readonly runStateEmitter = new vscode.EventEmitter<RunStateParams>();
  private readonly localModelEmitter = new vscode.EventEmitter<LocalModelParams>();
  /** The in-process local model is loading or ready. */
  readonly onLocalModel = this.localModelEmitter.event;
  /** A question finished in a running run. */
  readonly onRecord = this.recordEmitter.event;
  /** A run started or ended. */
  readonly onRunState = this.runStateEmitter.event;
  private started: Promise<void> | undefined;

  constructor(
    context: vscode.ExtensionContext,
    log: vscode.LogOutputChannel,
    datasetGlobs: string[],
  ) {
    const module = vscode.Uri.joinPath(context.extensionUri, 'dist', 'main.js').fsPath;
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: {
        module,
        transport: TransportKind.ipc,
        options: { execArgv: ['--nolazy', '--inspect=6019'] },
      },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', pattern: '**/*.jsonl' },
        { scheme: 'file', pattern: '**/*.json' },
        { scheme: 'untitled', language: 'jsonl' },
        // mcpo.datasetGlobs may name files with other extensions (e.g. *.ndjson).
        ...datasetGlobs.map((pattern) => ({ scheme: 'file', pattern })),
      ],
      outputChannel: log,
      traceOutputChannel: redactingChannel(log),
      initializationOptions: { datasetGlobs },
    };
    this.client = new LanguageClient('mcpo', 'MCPO Engine', serverOptions, clientOptions);
  }

  /** Starts the engine once; later calls wait for the same start. */
  start(): Promise<void> {
    this.started ??= this.client.start().then(() => {
      this.client.onNotification(RecordNotification, (p: RecordNotificationParams) =>
        this.recordEmitter.fire(p),
      );
      this.client.onNotification(RunStateNotification, (p: RunStateParams) =>
        this.runStateEmitter.fire(p),
      );
      this.client.onNotification(LocalModelNotification, (p: LocalModelParams) =>
        this.localModelEmitter.fire(p),
      );
    });
    return this.started;
  }

  private async request<P, R>(
    method: string,
    params: P,
    token?: vscode.CancellationToken,
  ): Promise<R> {
    if (!this.started) throw new Error('the MCPO engine is not running (see MCPO: Show Logs)');
    await this.started;
    // Never pass an explicit `undefined` token: vscode-jsonrpc counts it as a second parameter,
    // sends [params, null] positionally, and the engine's handler then gets null as its token.
    return token === undefined
      ? this.client.sendRequest<R>(method, params)
      : this.client.sendRequest<R>(method, params, token);
  }

  runDataset(
    params: RunDatasetParams,
    token?: vscode.CancellationToken,
  ): Promise<RunDatasetResult> {
    return this.request(RunDatasetRequest, params, token);
  }

  runQuestion(
    params: RunQuestionParams,
    token?: vscode.CancellationToken,
  ): Promise<RunDatasetResult> {
    return this.request(RunQuestionRequest, params, token);
  }

  inferTaskType(question: string): Promise<InferTaskTypeResult> {
    return this.request(InferTaskTypeRequest, { question });
  }

  runAblation(
    params: RunAblationParams,
    token?: vscode.CancellationToken,
  ): Promise<RunAblationResult> {
    return this.request(RunAblationRequest, params, token);
  }

  listRuns(runsDir: string, baselineDir?: string): Promise<RunListItem[]> {
    return this.request(ListRunsRequest, { runsDir, baselineDir });
  }

  getRun(runDir: string): Promise<GetRunResult> {
    return this.request(GetRunRequest, { runDir });
  }

  compareRuns(baselineDir: string, candidateDir: string): Promise<CompareRunsResult> {
    return this.request(CompareRunsRequest, { baselineDir, candidateDir });
  }

  checkEndpoints(params: CheckEndpointsParams): Promise<CheckEndpointsResult> {
    return this.request(CheckEndpointsRequest, params);
  }

  listModels(params: ListModelsParams): Promise<ListModelsResult> {
    return this.request(ListModelsRequest, params);
  }

  previewPrompt(params: PreviewPromptParams): Promise<AssembledPrompt> {
    return this.request(PreviewPromptRequest, params);
  }

  listJobs(params: ListJobsParams): Promise<ListJobsResult> {
    return this.request(ListJobsRequest, params);
  }

  prepareJob(params: PrepareJobParams): Promise<PrepareJobResult> {
    return this.request(PrepareJobRequest, params);
  }

  submitJob(params: SubmitJobParams): Promise<SubmitJobResult> {
    return this.request(SubmitJobRequest, params);
  }

  cancelJob(params: JobIdParams): Promise<CancelJobResult> {
    return this.request(CancelJobRequest, params);
  }

  jobLogs(params: JobIdParams): Promise<JobLogsResult> {
    return this.request(JobLogsRequest, params);
  }

  selectData(
    params: SelectDataParams,
    token?: vscode.CancellationToken,
  ): Promise<SelectDataResult> {
    return this.request(SelectDataRequest, params, token);
  }

  /** A job's state changed (the engine polls active jobs). Can be registered before start(). */
  onJobsChanged(handler: (params: JobsChangedParams) => void): vscode.Disposable {
    return this.client.onNotification(JobsChangedNotification, handler);
  }

  /** LSP work-done progress the engine reports for a token this client put in a request. */
  onProgress(
    token: string,
    handler: (value: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd) => void,
  ): vscode.Disposable {
    return this.client.onProgress(WorkDoneProgress.type, token, handler);
  }

  dispose(): void {
    this.recordEmitter.dispose();
    this.runStateEmitter.dispose();
    this.localModelEmitter.dispose();
    void this.client.stop();
  }
}

/** Secret fields of mcpo/* params, blanked in protocol traces (mcpo.trace.server = verbose logs params). */
const SECRET_FIELDS = /("(?:llmApiKey|slmApiKey|slurmToken|apiKey)"\s*:\s*)"(?:[^"\\]|\\.)*"/g;

export function redactSecrets(text: string): string {
  return text.replace(SECRET_FIELDS, '$1"<redacted>"');
}

/** A log channel that writes through to `log` with secrets removed. */
function redactingChannel(log: vscode.LogOutputChannel): vscode.LogOutputChannel {
  const clean = (args: unknown[]): unknown[] =>
    args.map((a) => (typeof a === 'string' ? redactSecrets(a) : a));
  return {
    name: log.name,
    get logLevel() {
      return log.logLevel;
    },
    onDidChangeLogLevel: log.onDidChangeLogLevel,
    trace: (message: string, ...args: unknown[]) =>
      log.trace(redactSecrets(message), ...clean(args)),
    debug: (message: string, ...args: unknown[]) =>
      log.debug(redactSecrets(message), ...clean(args)),
    info: (message: string, ...args: unknown[]) => log.info(redactSecrets(message), ...clean(args)),
    warn: (message: string, ...args: unknown[]) => log.warn(redactSecrets(message), ...clean(args)),
    error: (error: string | Error, ...args: unknown[]) =>
      log.error(typeof error === 'string' ? redactSecrets(error) : error, ...clean(args)),
    append: (value: string) => log.append(redactSecrets(value)),
    appendLine: (value: string) => log.appendLine(redactSecrets(value)),
    replace: (value: string) => log.replace(redactSecrets(value)),
    clear: () => log.clear(),
    show: (...args: [boolean?] | [vscode.ViewColumn?, boolean?]) =>
      log.show(...(args as [boolean?])),
    hide: () => log.hide(),
    dispose: () => undefined, // the log is owned and disposed by the extension
  };
}
