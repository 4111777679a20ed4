import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from './paths';

/** The transpiled CLI the tests run as a real child process. */
export const CLI = path.join(repoRoot, 'out', 'server', 'cli.js');

/** Runs the CLI without blocking this process (a test server living here must keep answering). */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
