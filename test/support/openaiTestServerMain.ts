/**
 * The OpenAI-compatible test server as its own process, so a benchmark's engine does not share
 * an event loop with the server it measures, and so a user can try the CLI without a GPU server.
 * Prints the base URL on its first stdout line; stops when stdin (a terminal or a pipe) closes,
 * on Ctrl+C or on SIGTERM.
 *   npm run test-server -- --latency-ms 200 --port 8000   (builds it, then starts it)
 *   node out/test/support/openaiTestServerMain.js --latency-ms 200 --port 8000
 */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { demoAnswer } from './demoAnswers';
import { promptText, startOpenAiTestServer } from './openaiTestServer';

const USAGE = `usage: npm run test-server -- [--latency-ms N] [--port N] [--models a,b]
An OpenAI-compatible test server (/v1/models, /v1/chat/completions, /v1/completions, streaming).
It answers "1" to every question and a short reasoning to chain-of-thought requests.
  --latency-ms N   delay before every generation response (default 0)
  --port N         port to listen on (default: any free port)
  --models a,b     model ids it serves (default: test-model)
It prints its base URL, then runs until Ctrl+C, Ctrl+D, SIGTERM (kill PID), or until the
terminal or pipe on its stdin closes. As a background job (stdin /dev/null) it runs until killed.
`;

/** Wrong flags: the message is followed by the usage text (other failures are not). */
class UsageError extends Error {}

function numberOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`--${name} must be an integer >= 0, got ${JSON.stringify(raw)}`);
  return n;
}

function parseFlags(): {
  latencyMs: number;
  port?: number;
  models?: string[];
  help: boolean;
} {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'latency-ms': { type: 'string' },
        port: { type: 'string' },
        models: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return {
    latencyMs: numberOption('latency-ms', values['latency-ms']) ?? 0,
    port: numberOption('port', values.port),
    models: values.models?.split(',').filter(Boolean),
    help: values.help ?? false,
  };
}

async function main(): Promise<void> {
  const { help, ...options } = parseFlags();
  if (help) {
    process.stdout.write(USAGE);
    return;
  }
  let server;
  try {
    server = await startOpenAiTestServer({ ...options, answer: (r) => demoAnswer(promptText(r)) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new Error(
        `port ${options.port} is already in use (another test server?): stop it, or pick another --port`,
        { cause: err },
      );
    throw err;
  }
  process.stdout.write(`${server.baseUrl}\n`);
  const stop = (why: string) => (): void => {
    process.stderr.write(`test server stopped: ${why}\n`);
    void server.close().then(() => process.exit(0));
  };
  // Ctrl+D in a terminal, or the parent closing the pipe (the bench stops it so). A background
  // job's stdin is /dev/null, which ends at once: that must not stop it.
  if (stdinCanClose()) {
    process.stdin.resume();
    process.stdin.on('end', stop('stdin closed'));
  }
  process.on('SIGINT', stop('interrupted'));
  process.on('SIGTERM', stop('terminated'));
}

function stdinCanClose(): boolean {
  if (process.stdin.isTTY) return true;
  try {
    const stat = fs.fstatSync(0);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false; // no stdin at all
  }
}

main().catch((err: Error) => {
  if (err instanceof UsageError) {
    process.stderr.write(`error: ${err.message}\n${USAGE}`);
    process.exit(2);
  }
  process.stderr.write(`error: ${err.message}\n`);
  process.exit(1);
});
