/**
 * MCPO: Export Submission inside a real VS Code: the command (run and folder given as arguments,
 * so no dialog opens) has the engine write the starter-kit folder for a paper-preset run, with
 * the options it was given; a folder that is not a run writes nothing. Run by ./index.ts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildRunConfig } from '../../../server/runs/startRun';

const EXTENSION_ID = 'mcpo-workbench.mcpo-workbench';

export async function exportSubmissionWritesTheStarterKitFolder(): Promise<void> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not installed`);
  await extension.activate();
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-itest-export-'));
  try {
    const runDir = path.join(base, 'run');
    fs.mkdirSync(runDir);
    const config = await buildRunConfig({
      data: path.join(
        extension.extensionPath,
        'server',
        'dataset',
        'sample',
        'shopbench-dev.jsonl',
      ),
      preset: 'paper',
      llm: { url: 'http://gpu:8000/v1', model: 'llama3-70B-awq' },
    });
    fs.writeFileSync(path.join(runDir, 'config.json'), JSON.stringify(config));
    fs.writeFileSync(path.join(runDir, 'records.jsonl'), '');
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
