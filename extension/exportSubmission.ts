/**
 * MCPO: Export Submission — a run's pipeline as a folder that drops into the Amazon KDD Cup 2024
 * ShopBench starter kit. The engine writes it (mcpo/exportSubmission: the code behind
 * `mcpo export submission`); this asks which run and which folder, then shows what was written
 * and how often the exported model's task-type inference agrees with the run's data.
 *
 * Arguments, all optional (the results panel, tests): the run folder, the output folder, and the
 * export options (vLLM settings, model paths, batch size). A run on the local llama.cpp model asks
 * for the vLLM weights the submission loads (the CLI's --model-path / --slm-path).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ExportSubmissionRequest, ListRunsRequest } from '../server/protocol/messages';
import type {
  ExportSubmissionOptions,
  ExportSubmissionResult,
  WeightsNeeded,
} from '../server/protocol/export';
import type { CommandContext } from './commands';
import { shortRunLabel } from '../server/protocol/runLabels';
import { formatScore, runPickItem, runProblem } from './format';

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
  let given: ExportSubmissionOptions = { ...options };
  let result = await send(ctx, run, target, given);
  if (!result.written) {
    // A run on the local llama.cpp model: vLLM cannot load its GGUF, so the user names the
    // weights the submission loads, and the export runs again with them.
    for (const need of result.needs) {
      const weights = await askWeights(need);
      if (weights === undefined) return;
      given = { ...given, [need.option]: weights };
    }
    result = await send(ctx, run, target, given);
    if (!result.written)
      throw new Error(
        `the export still needs weights for ${result.needs.map((n) => n.role).join(', ')}`,
      );
  }
  const { out: written, files, agreement } = result;
  ctx.log.info(`exported ${run} to ${written}: ${files.join(', ')}; ${agreement}`);
  // Not awaited: a toast nobody clicks would keep the command running.
  void vscode.window
    .showInformationMessage(
      `MCPO: submission written to ${written} (copy models/ and requirements.txt into the starter kit). ${agreement}.`,
      'Open README',
    )
    .then((choice) =>
      choice === 'Open README'
        ? vscode.window.showTextDocument(vscode.Uri.file(path.join(written, 'README.md')))
        : undefined,
    );
}

function send(
  ctx: CommandContext,
  runDir: string,
  out: string,
  options: ExportSubmissionOptions,
): Thenable<ExportSubmissionResult> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'MCPO: exporting the submission' },
    () => ctx.engine.send(ExportSubmissionRequest, { runDir, out, options }),
  );
}

/** Where the weights of a model the run ran as a GGUF will be inside the starter kit. */
function askWeights(need: WeightsNeeded): Thenable<string | undefined> {
  const role = need.role === 'llm' ? 'M_L' : 'M_S';
  return vscode.window
    .showInputBox({
      title: `MCPO: ${role} weights for the submission`,
      prompt: `The run used the local llama.cpp model ${need.model}, a GGUF that vLLM in the starter kit cannot load. Where will vLLM find ${role}'s weights: a folder relative to the starter kit's root, or a hub id?`,
      value: need.suggestion,
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() === '' ? 'Name a folder or a hub id' : undefined),
    })
    .then((v) => v?.trim());
}

async function pickRun(ctx: CommandContext): Promise<string | undefined> {
  const runs = await ctx.engine.send(ListRunsRequest, { runsDir: ctx.config.pipeline.runsDir });
  if (runs.length === 0) throw new Error('there are no runs to export yet (run MCPO first)');
  const pick = await vscode.window.showQuickPick(
    runs.map((r) => ({ ...runPickItem(r), run: r })),
    { title: 'MCPO: export which run as a ShopBench submission?', matchOnDetail: true },
  );
  if (!pick) return undefined;
  const problem = runProblem(pick.run);
  if (problem === undefined) return pick.run.runDir;
  // The headline overall of such a run covers only the questions it answered: say so before
  // the user ships it. Modal, so it cannot be missed (and Escape cancels).
  const choice = await vscode.window.showWarningMessage(
    `In run “${shortRunLabel(pick.run.label || pick.run.runId)}”, ${problem}.`,
    {
      modal: true,
      detail: `Its overall ${formatScore(pick.run.overall)} covers only the questions that were answered and scored. The exported pipeline is the run's configuration; the scores in its README are this run's.`,
    },
    'Export Anyway',
  );
  return choice === 'Export Anyway' ? pick.run.runDir : undefined;
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
