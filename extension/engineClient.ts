/**
 * The extension's only road to the engine: a language client for server/main.ts that sends the
 * mcpo/* messages declared once in server/protocol/messages.ts. The engine runs in its own
 * process, so long runs never block the extension host.
 */
import type { ChildProcess } from 'node:child_process';
import * as vscode from 'vscode';
import {
  ErrorCodes,
  LanguageClient,
  ResponseError,
  State,
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
import type { McpoConfig } from './settings';

/** Dataset documents the engine gets: JSON Lines and JSON, and files mcpo.datasetGlobs names (e.g. *.ndjson). */
function documentSelector(
  datasetGlobs: readonly string[],
): LanguageClientOptions['documentSelector'] {
  return [
    { scheme: 'file', pattern: '**/*.jsonl' },
    { scheme: 'file', pattern: '**/*.json' },
    { scheme: 'untitled', language: 'jsonl' },
    ...datasetGlobs.map((pattern) => ({ scheme: 'file', pattern })),
  ];
}

/**
 * How long stop() waits for the engine's process after the client stopped: vscode-languageclient
 * kills an engine still running 2 s after its exit notification.
 */
const ENGINE_EXIT_WAIT_MS = 3_000;

/**
 * The engine's process. vscode-languageclient keeps it in a private field and offers no public
 * way to it; the integration tests deactivate.itest.ts and commandRunner.itest.ts fail without it.
 */
function engineProcess(client: LanguageClient): ChildProcess | undefined {
  return (client as unknown as { _serverProcess?: ChildProcess })._serverProcess;
}

/** What the views and the status item say of a run whose engine stopped under it. */
export const ENGINE_STOPPED =
  'the MCPO engine stopped during the run; its finished questions are saved (Resume Run finishes it)';

/**
 * A request the engine never answered because its process went away. `announced`: a run was
 * going and the user was already told (with Resume Run), so the command need not say it again.
 */
export class EngineStoppedError extends Error {
  constructor(
    message: string,
    readonly announced: boolean,
  ) {
    super(message);
    this.name = 'EngineStoppedError';
  }
}

/** The connection to the engine closed with this request pending (its process died). */
function lostConnection(err: unknown): boolean {
  return err instanceof ResponseError && err.code === ErrorCodes.PendingResponseRejected;
}

/** Resolves once `child` has exited, or after `ms`. */
function exited(child: ChildProcess | undefined, ms: number): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

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
  private stopped: Promise<void> | undefined;
  /** Requests sent and not yet answered (a restart waits for them). */
  private inFlight = 0;
  private restartPending = false;
  private readonly configListener: vscode.Disposable;
  /** Runs the engine said started and has not said ended: they end with the engine. */
  private readonly liveRuns = new Set<string>();
  /** The user was told that runs ended with the engine, since the last run started. */
  private lossAnnounced = false;

  constructor(
    context: Pick<vscode.ExtensionContext, 'extensionUri'>,
    private readonly log: vscode.LogOutputChannel,
    private readonly config: McpoConfig,
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
      documentSelector: documentSelector(config.datasetGlobs),
      outputChannel: log,
      traceOutputChannel: redactingChannel(log),
      // Read at each (re)start, so the engine gets the globs the settings hold then.
      initializationOptions: () => ({ datasetGlobs: this.config.datasetGlobs }),
    };
    this.client = new LanguageClient('mcpo', 'MCPO Engine', serverOptions, clientOptions);
    this.configListener = config.onDidChange((e) => {
      if (e.affectsConfiguration('mcpo.datasetGlobs')) this.followDatasetGlobs();
    });
  }

  /**
   * Which documents VS Code syncs to the engine is fixed when the client starts, so a change of
   * mcpo.datasetGlobs restarts the engine: at once when it is idle, else when the last request in
   * flight is answered (a run is never cut short).
   */
  private followDatasetGlobs(): void {
    this.client.clientOptions.documentSelector = documentSelector(this.config.datasetGlobs);
    if (!this.started || this.stopped) return; // the next start reads the settings itself
    this.restartPending = true;
    this.restartWhenIdle();
  }

  private restartWhenIdle(): void {
    if (!this.restartPending || this.inFlight > 0 || !this.started || this.stopped) return;
    this.restartPending = false;
    this.log.info('mcpo.datasetGlobs changed: restarting the MCPO engine');
    // Requests wait on `started`, so none is sent to the engine while it restarts.
    this.started = this.started.then(() => this.client.restart());
    this.started.catch((err: unknown) =>
      this.log.error(
        `restarting the MCPO engine: ${err instanceof Error ? err.message : String(err)}`,
      ),
    );
  }

  /** Starts the engine once; later calls wait for the same start. */
  start(): Promise<void> {
    this.started ??= this.client.start().then(() => {
      this.client.onNotification(messages.RecordNotification, (p) => this.recordEmitter.fire(p));
      this.client.onNotification(messages.RunStateNotification, (p) => {
        if (p.state === 'started') {
          this.liveRuns.add(p.runDir);
          this.lossAnnounced = false;
        } else this.liveRuns.delete(p.runDir);
        this.runStateEmitter.fire(p);
      });
      // The engine's process died (the client restarts it): its runs will never say they ended.
      this.client.onDidChangeState((e) => {
        if (e.oldState === State.Running && e.newState !== State.Running) this.runsLost();
      });
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
  async send<P, R, E>(
    type: RequestType<P, R, E>,
    params: RequestParam<P>,
    token?: vscode.CancellationToken,
  ): Promise<R> {
    if (!this.started) throw new Error('the MCPO engine is not running (see MCPO: Show Logs)');
    this.inFlight++;
    try {
      await this.started;
      // Never pass an explicit `undefined` token: vscode-jsonrpc counts it as a second parameter,
      // sends [params, null] positionally, and the engine's handler then gets null as its token.
      return await (token === undefined
        ? this.client.sendRequest(type, params)
        : this.client.sendRequest(type, params, token));
    } catch (err) {
      if (!lostConnection(err)) throw err;
      const announced = this.runsLost() || this.lossAnnounced;
      throw new EngineStoppedError(
        'the MCPO engine stopped before it answered (MCPO: Show Logs says why); it restarts by itself: try again',
        announced,
      );
    } finally {
      this.inFlight--;
      this.restartWhenIdle();
    }
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

  /**
   * The engine went away: every run it had going ends, in the views and the status item, as
   * stopped, and (unless the extension itself is stopping) the user is told once, with Resume Run.
   * True when there were runs to end.
   */
  private runsLost(): boolean {
    const runDirs = [...this.liveRuns];
    if (runDirs.length === 0) return false;
    this.liveRuns.clear();
    for (const runDir of runDirs)
      this.runStateEmitter.fire({ runDir, state: 'failed', message: ENGINE_STOPPED });
    if (this.stopped) return true;
    this.lossAnnounced = true;
    const where = runDirs.join(', ');
    this.log.error(`${ENGINE_STOPPED}: ${where}`);
    const last = runDirs[runDirs.length - 1];
    void vscode.window
      .showErrorMessage(
        `MCPO: the engine stopped during the run; its finished questions are saved in ${where}.`,
        'Resume Run',
        'Show Logs',
      )
      .then(async (choice) => {
        if (choice === 'Resume Run') await vscode.commands.executeCommand('mcpo.resumeRun', last);
        else if (choice === 'Show Logs') this.log.show();
      });
    return true;
  }

  /** Stops the engine and resolves once its process has exited; later calls wait for the same stop. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.configListener.dispose();
      try {
        if (this.started) {
          // The client's stop resolves once the exit notification is sent, before the engine's
          // process has exited: wait for that too (VS Code waits for deactivate, not the process).
          const engine = engineProcess(this.client);
          await this.client.stop();
          await exited(engine, ENGINE_EXIT_WAIT_MS);
        }
      } catch (err) {
        this.log.warn(
          `stopping the MCPO engine: ${err instanceof Error ? err.message : String(err)}`,
        );
      } finally {
        this.recordEmitter.dispose();
        this.runStateEmitter.dispose();
        this.localModelEmitter.dispose();
      }
    })();
    return this.stopped;
  }

  dispose(): void {
    void this.stop();
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
