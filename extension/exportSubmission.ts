/**
 * MCPO: Export Submission — a run's pipeline as a folder that drops into the Amazon KDD Cup 2024
 * ShopBench starter kit. The engine writes it (mcpo/exportSubmission: the code behind
 * `mcpo export submission`); this asks which run and which folder, then shows what was written
 * and how often the exported model's task-type inference agrees with the run's data.
 *
 * Arguments, all optional (the results panel, tests): the run folder, the output folder, and the
 * export options (vLLM settings, model paths, batch size).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ExportSubmissionRequest, ListRunsRequest } from '../server/protocol/messages';
import type { ExportSubmissionOptions } from '../server/protocol/export';
import type { CommandContext } from './commands';
import { formatScore } from './format';

export async function exportSubmission(
  ctx: CommandContext,
  runDir?: string,
  out?: string,
  options?: ExportSubmissionOptions,
): Promise<void> {
  const run = runDir ?? (await pickRun(ctx));
  if (!run) return;
  const target = out ?? (await pickFolder(run));
  if (!target) return;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'MCPO: exporting the submission' },
    () => ctx.engine.send(ExportSubmissionRequest, { runDir: run, out: target, options }),
  );
  ctx.log.info(`exported ${run} to ${result.out}: ${result.files.join(', ')}; ${result.agreement}`);
  // Not awaited: a toast nobody clicks would keep the command running.
  void vscode.window
    .showInformationMessage(
      `MCPO: submission written to ${result.out} (copy models/ and requirements.txt into the starter kit). ${result.agreement}.`,
      'Open README',
    )
    .then((choice) =>
      choice === 'Open README'
        ? vscode.window.showTextDocument(vscode.Uri.file(path.join(result.out, 'README.md')))
        : undefined,
    );
}

async function pickRun(ctx: CommandContext): Promise<string | undefined> {
  const runs = await ctx.engine.send(ListRunsRequest, { runsDir: ctx.config.pipeline.runsDir });
  if (runs.length === 0) throw new Error('there are no runs to export yet (run MCPO first)');
  const pick = await vscode.window.showQuickPick(
    runs.map((r) => ({
      label: r.label,
      detail: `overall ${formatScore(r.overall)} · ${r.questions} questions · ${r.createdAt}`,
      runDir: r.runDir,
    })),
    { title: 'MCPO: export which run as a ShopBench submission?' },
  );
  return pick?.runDir;
}

/**
 * The user picks a parent folder and the submission gets a new folder of its own inside it: a
 * picked folder is rarely empty, and not every folder dialog (code-server's) can create one.
 */
async function pickFolder(runDir: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    openLabel: 'Export Into',
    title: `MCPO: where to write the submission folder mcpo-submission-${path.basename(runDir)}`,
  });
  const parent = picked?.[0]?.fsPath;
  return parent && path.join(parent, `mcpo-submission-${path.basename(runDir)}`);
}
