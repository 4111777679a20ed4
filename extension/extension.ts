/**
 * MCPO Workbench's VS Code client. Activation is thin: one log channel, the settings object, the
 * command table, the prompt diff, the status item, the results panel, and the engine (a language
 * server in its own process, started here and talked to only through server/protocol/).
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { registerClearResponseCache } from './clearCache';
import { registerCommand } from './commandRunner';
import { checkEndpoints, commandTable, type CommandContext } from './commands';
import { EngineClient } from './engineClient';
import { registerJobs } from './jobs/registerJobs';
import { createResultsView } from './resultsView';
import { PromptDiff } from './promptDiff';
import { McpoConfig } from './settings';
import { McpoStatusBar } from './statusBar';
import type { StatusView } from './statusModel';

/** The running engine, so deactivate() can wait for it to stop. */
let runningEngine: EngineClient | undefined;

/**
 * What the extension gives other extensions (`vscode.extensions.getExtension(...).exports`): the
 * status item as shown, which VS Code's API cannot read back (the integration tests read it).
 */
export interface McpoExtensionApi {
  statusView(): StatusView;
  onDidChangeStatus: vscode.Event<StatusView>;
}

export async function activate(
  context: vscode.ExtensionContext,
): Promise<McpoExtensionApi | undefined> {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('MCPO', { log: true });
  context.subscriptions.push(log);
  try {
    const config = new McpoConfig();
    const engine = new EngineClient(context, log, config);
    runningEngine = engine;
    const promptDiff = new PromptDiff();
    const status = new McpoStatusBar();
    context.subscriptions.push(config, engine, promptDiff, status);
    context.subscriptions.push(...registerJobs(context, engine, config, log));
    context.subscriptions.push(registerClearResponseCache(config, log));
    const results = createResultsView(context, engine, config, log);
    const ctx: CommandContext = {
      extension: context,
      engine,
      config,
      log,
      promptDiff,
      status,
      refreshResults: (select) => results.refresh(select),
    };
    /** A check whose results only the status item shows. */
    const checkQuietly = (): void =>
      void checkEndpoints(ctx, false).catch((err: unknown) =>
        log.warn(`endpoint check: ${message(err)}`),
      );
    for (const [id, handler] of Object.entries(commandTable(ctx)))
      context.subscriptions.push(registerCommand(id, handler, log));
    context.subscriptions.push(
      engine.onRecord((r) => {
        results.postRecord(r);
        status.record(r);
      }),
      engine.onLocalModel((m) => status.localModel(m)),
      engine.onRunState((r) => {
        // The panel lists a run as soon as it starts and drops its progress once it ends.
        results.refresh(r.state === 'started' ? undefined : r.runDir);
        status.runState(r);
      }),
      // New endpoints make the shown health stale: check them (Configure Endpoints writes these).
      config.onDidChange((e) => {
        status.settingsChanged((setting) => e.affectsConfiguration(setting));
        if (e.affectsConfiguration('mcpo.llm') || e.affectsConfiguration('mcpo.slm'))
          checkQuietly();
      }),
    );
    // The engine starts in the background: activation stays fast, commands wait for it.
    void engine.start().then(
      () => {
        log.info('MCPO engine started');
        checkQuietly();
      },
      (err: unknown) => {
        log.error(`MCPO engine failed to start: ${message(err)}`);
        void vscode.window
          .showErrorMessage(`MCPO: the engine failed to start: ${message(err)}`, 'Show Logs')
          .then((c) => c && log.show());
      },
    );
    const activationMs = performance.now() - started;
    log.info(
      `MCPO Workbench ${String(context.extension.packageJSON.version)} activated in ${activationMs.toFixed(1)} ms`,
    );
    // The benchmark reads the figure from here (npm run bench); nothing is written otherwise.
    if (process.env.MCPO_STATS_FILE)
      fs.writeFileSync(process.env.MCPO_STATS_FILE, JSON.stringify({ activationMs }));
    return { statusView: () => status.view, onDidChangeStatus: status.onDidChange };
  } catch (err) {
    log.error(`activation failed: ${message(err)}`);
    void vscode.window
      .showErrorMessage(`MCPO Workbench could not activate: ${message(err)}`, 'Show Logs')
      .then((c) => c && log.show());
    return undefined;
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Waits for the engine to stop (VS Code waits for this promise); the rest is disposed through context.subscriptions. */
export async function deactivate(): Promise<void> {
  const stopping = runningEngine?.stop();
  runningEngine = undefined;
  await stopping;
}
