import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from './paths';

/** The transpiled CLI the tests run as a real child process. */
export const CLI = path.join(repoRoot, 'out', 'server', 'cli.js');

/** `mcpo run` of `data` on the test server's model, with its runs and cache in `dir`. */
export function runArgs(data: string, llmUrl: string, dir: string): string[] {
  const flags = {
    data,
    'llm-url': llmUrl,
    'llm-model': 'test-model',
    out: path.join(dir, 'runs'),
    cache: path.join(dir, 'cache'),
  };
  return ['run', ...Object.entries(flags).flatMap(([flag, value]) => [`--${flag}`, value])];
}

/**
 * Runs the CLI without blocking this process (a test server living here must keep answering).
 * A CLI still running after `timeoutMs` is killed and the call rejects with what it printed.
 */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 300_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `mcpo ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
