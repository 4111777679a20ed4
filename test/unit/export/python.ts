/**
 * Runs a Python script under the machine's python3 (Debian's, no pip: the exported modules need
 * only the standard library, and vllm / sentence_transformers are stubbed by the tests) with JSON
 * inputs in a temporary folder, and returns what it prints as JSON.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../../support/paths';

/**
 * `script` reads its inputs with `json.load(open(INPUT[name]))` (INPUT is defined before it) and
 * prints one JSON value. `setup` may write more files into the folder first.
 */
export function runPythonJson<T>(
  script: string,
  inputs: Record<string, unknown>,
  setup?: (dir: string) => void,
): T {
  const version = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  assert.equal(version.status, 0, 'python3 is needed (.ci/run installs it)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-python-'));
  try {
    const files: Record<string, string> = {};
    for (const [name, value] of Object.entries(inputs)) {
      files[name] = path.join(dir, `${name}.json`);
      fs.writeFileSync(files[name], JSON.stringify(value));
    }
    setup?.(dir);
    const run = spawnSync('python3', ['-c', `INPUT = ${JSON.stringify(files)}\n${script}`], {
      cwd: dir,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    assert.equal(run.status, 0, run.stderr);
    return JSON.parse(run.stdout) as T;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The start of a script that uses the repository's mcpo_prompt.py as `m` (and json, sys). */
export const WITH_PROMPT_MODULE = [
  'import json, sys',
  `sys.path.insert(0, ${JSON.stringify(path.join(repoRoot, 'server', 'export'))})`,
  'import mcpo_prompt as m',
].join('\n');
