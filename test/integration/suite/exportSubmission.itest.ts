/**
 * MCPO: Export Submission inside a real VS Code: the command (run and folder given as arguments,
 * so no dialog opens) has the engine write the starter-kit folder for a paper-preset run, with
 * the options it was given; a folder that is not a run writes nothing; a run on the local
 * llama.cpp model asks for the vLLM weights instead of failing. Run by ./index.ts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_LOCAL_MODEL, LOCAL_BASE_URL } from '../../../server/protocol/settings';
import { buildRunConfig } from '../../../server/runs/startRun';

const EXTENSION_ID = 'mcpo-workbench.mcpo-workbench';

/**
 * A run folder of the bundled sample under a new temporary folder (config.json and no records:
 * nothing has to run for an export); `base` is removed by the test.
 */
async function runFolder(
  llm: { url: string; model: string },
  preset?: 'paper',
): Promise<{ base: string; runDir: string; config: Awaited<ReturnType<typeof buildRunConfig>> }> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not installed`);
  await extension.activate();
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-itest-export-'));
  const runDir = path.join(base, 'run');
  fs.mkdirSync(runDir);
  const data = path.join(
    extension.extensionPath,
    'server',
    'dataset',
    'sample',
    'shopbench-dev.jsonl',
  );
  const config = await buildRunConfig({ data, preset, llm });
  fs.writeFileSync(path.join(runDir, 'config.json'), JSON.stringify(config));
  fs.writeFileSync(path.join(runDir, 'records.jsonl'), '');
  return { base, runDir, config };
}

export async function exportSubmissionWritesTheStarterKitFolder(): Promise<void> {
  const { base, runDir, config } = await runFolder(
    { url: 'http://gpu:8000/v1', model: 'llama3-70B-awq' },
    'paper',
  );
  try {
    const out = path.join(base, 'submission');

    await vscode.commands.executeCommand('mcpo.exportSubmission', runDir, out, {
      batchSize: 8,
      tensorParallelSize: 2,
      modelPath: 'models/llama3-70B-awq',
    });

    for (const file of [
      'models/mcpo_model.py',
      'models/mcpo_prompt.py',
      'models/mcpo_config.json',
      'models/user_config.py',
      'requirements.txt',
      'README.md',
    ])
      assert.ok(fs.existsSync(path.join(out, file)), `${file} was not written`);
    const written = JSON.parse(
      fs.readFileSync(path.join(out, 'models', 'mcpo_config.json'), 'utf8'),
    ) as {
      source: { runId: string; preset: string };
      batchSize: number;
      llm: { model: string };
      vllm: { tensor_parallel_size: number; dtype: string };
      taskTypeRules: unknown[];
    };
    assert.equal(written.source.runId, config.runId);
    assert.equal(written.source.preset, 'paper');
    assert.equal(written.batchSize, 8);
    assert.equal(written.llm.model, 'models/llama3-70B-awq');
    assert.equal(written.vllm.tensor_parallel_size, 2);
    assert.equal(written.vllm.dtype, 'float16');
    assert.ok(written.taskTypeRules.length > 0);
    assert.match(
      fs.readFileSync(path.join(out, 'models', 'user_config.py'), 'utf8'),
      /UserModel = MCPOModel/,
    );

    // A folder that is not a run: the command reports the error (a toast) and writes nothing.
    const notRun = path.join(base, 'not-a-run');
    fs.mkdirSync(notRun);
    const nothing = path.join(base, 'nothing');
    await vscode.commands.executeCommand('mcpo.exportSubmission', notRun, nothing);
    assert.equal(fs.existsSync(nothing), false);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

/**
 * A run on the local llama.cpp model: the command asks where vLLM finds M_L's weights (the GGUF
 * cannot be loaded there), offering a folder named after the model, and exports with the answer.
 * The test accepts the input box as a person pressing Enter would (the command VS Code binds to
 * Enter), each try a round trip to the workbench, until the command has finished.
 */
export async function exportOfALocalModelRunAsksForTheVllmWeights(): Promise<void> {
  const { base, runDir, config } = await runFolder({
    url: LOCAL_BASE_URL,
    model: DEFAULT_LOCAL_MODEL,
  });
  try {
    const out = path.join(base, 'submission');

    let finished = false;
    const exporting = Promise.resolve(
      vscode.commands.executeCommand('mcpo.exportSubmission', runDir, out),
    ).finally(() => (finished = true));
    const deadline = Date.now() + 20_000;
    while (!finished && Date.now() < deadline)
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    await exporting;

    const written = JSON.parse(
      fs.readFileSync(path.join(out, 'models', 'mcpo_config.json'), 'utf8'),
    ) as { llm: { model: string }; source: { runId: string } };
    assert.equal(written.llm.model, 'models/Qwen2.5-0.5B-Instruct');
    assert.equal(written.source.runId, config.runId);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}
