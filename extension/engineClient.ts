/**
 * The extension's only road to the engine: a language client for server/main.ts that sends the
 * mcpo/* messages declared once in server/protocol/messages.ts. The engine runs in its own
 * process, so long runs never block the extension host.
 */
import * as vscode from 'vscode';
import {
  LanguageClient,
  TransportKind,
  WorkDoneProgress,
  type LanguageClientOptions,
  type RequestParam,
  type RequestType,
  type ServerOptions,
  type WorkDoneProgressBegin,
  type WorkDoneProgressEnd,
  type WorkDoneProgressReport,
} from 'vscode-languageclient/node';
import * as messages from '../server/protocol/messages';
import type * as jobs from '../server/protocol/jobs';
import type * as runs from '../server/protocol/runs';

export class EngineClient implements vscode.Disposable {
  private readonly client: LanguageClient;
  private readonly recordEmitter = new vscode.EventEmitter<runs.RecordNotificationParams>();
  private readonly runStateEmitter = new vscode.EventEmitter<runs.RunStateParams>();
  private readonly localModelEmitter = new vscode.EventEmitter<runs.LocalModelParams>();
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
      this.client.onNotification(messages.RecordNotification, (p) => this.recordEmitter.fire(p));
      this.client.onNotification(messages.RunStateNotification, (p) =>
        this.runStateEmitter.fire(p),
      );
      this.client.onNotification(messages.LocalModelNotification, (p) =>
        this.localModelEmitter.fire(p),
      );
    });
    return this.started;
  }

  /**
   * Sends a request declared in server/protocol/messages.ts: its params and result types come
   * from that one declaration, which the engine's handler is typed by too.
   */
  async send<P, R>(
    type: RequestType<P, R, void>,
    params: RequestParam<P>,
    token?: vscode.CancellationToken,
  ): Promise<R> {
    if (!this.started) throw new Error('the MCPO engine is not running (see MCPO: Show Logs)');
    await this.started;
    // Never pass an explicit `undefined` token: vscode-jsonrpc counts it as a second parameter,
    // sends [params, null] positionally, and the engine's handler then gets null as its token.
    return token === undefined
      ? this.client.sendRequest(type, params)
      : this.client.sendRequest(type, params, token);
  }

  /** A job's state changed (the engine polls active jobs). Can be registered before start(). */
  onJobsChanged(handler: (params: jobs.JobsChangedParams) => void): vscode.Disposable {
    return this.client.onNotification(messages.JobsChangedNotification, handler);
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
