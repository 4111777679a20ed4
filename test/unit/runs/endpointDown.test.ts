/**
 * A server that dies mid-run, as a user meets it: the test server is its own process and is
 * killed (SIGKILL) while the run is under way. The run must give up on it after a few questions
 * (not spend every pending question's retries on it), say so once, keep what was answered, and
 * finish on --resume once the server is back. Below: the watch's rule on a scripted client.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import OpenAI from 'openai';
import { toLlmError, withRetries, EndpointDownError } from '../../../server/llm/retry';
import {
  DEFAULT_ENDPOINT_SETTINGS,
  type LlmClient,
  type LlmResponse,
} from '../../../server/llm/types';
import {
  DOWN_AFTER,
  resumeHint,
  watchEndpoint,
  type EndpointDown,
} from '../../../server/runs/endpointWatch';
import { RunStore } from '../../../server/runs/runStore';
import { answeredNotScored } from '../../../server/protocol/runLabels';
import { buildRunConfig, executeRun } from '../../../server/runs/startRun';
import { runArgs, runCli } from '../../support/cli';
import { plainRunOptions } from '../../support/plainRun';
import { SAMPLE_FILE } from '../../support/sample';
import { tempDir } from '../../support/tempDirs';

const MAIN = path.join(__dirname, '..', '..', 'support', 'openaiTestServerMain.js');
const QUESTIONS = 96;
const ATTEMPTS = DEFAULT_ENDPOINT_SETTINGS.maxRetries + 1;
/** Questions recorded before the server is killed. */
const KILL_AFTER = 8;

interface ServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** SIGKILL, resolved once the process has exited. */
  kill: () => Promise<void>;
}

/** The test server as its own process (a real server a run can lose), on `port` (0: any). */
async function startServer(t: TestContext, port = 0, model = 'test-model'): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [MAIN, '--port', String(port), '--latency-ms', '100', '--models', model],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.after(() => child.kill('SIGKILL'));
  const url = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`test server exited (${code}) before serving`)));
  });
  return {
    url,
    port: Number(new URL(url).port),
    child,
    kill: () => (child.kill('SIGKILL'), exited),
  };
}

test('a server killed mid-run: the run gives up on it after a few questions, says so once, keeps the answers, and --resume finishes it', async (t) => {
  const server = await startServer(t, 0, 'm');
  const dir = tempDir('mcpo-down-');
  const concurrency = 4;
  const config = await buildRunConfig(plainRunOptions(SAMPLE_FILE, server.url, concurrency));
  const downs: EndpointDown[] = [];
  let killed: Promise<void> | undefined;
  const context = {
    cacheDir: path.join(dir, 'cache'),
    // Short backoff: the test counts attempts, not seconds.
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
  };
  const result = await executeRun(config, undefined, path.join(dir, 'runs'), {
    ...context,
    onEndpointDown: (down) => downs.push(down),
    onRecord: (_record, done) => {
      if (done === KILL_AFTER) killed = server.kill();
    },
  });
  await killed;
  const records = [...RunStore.open(result.dir).records.values()];
  const failed = records.filter((r) => r.status === 'failed');
  assert.equal(result.done + result.failed, QUESTIONS);
  assert.equal(records.length, QUESTIONS);
  assert.equal(failed.length, result.failed);
  assert.ok(
    result.done >= KILL_AFTER && result.failed > 40,
    `${result.done} done, ${result.failed} failed`,
  );

  // Said once, naming the endpoint, the cause and how to resume.
  assert.equal(downs.length, 1);
  assert.deepEqual(result.endpointsDown, downs);
  const [down] = downs;
  assert.equal(down.endpoint, `m@127.0.0.1:${server.port}`);
  assert.match(
    down.message,
    new RegExp(
      `^m@127\\.0\\.0\\.1:${server.port} is not answering: ${DOWN_AFTER} questions in a row could not reach it \\(.*ECONNREFUSED.*\\), so its remaining questions were not sent\\. Finished questions are saved\\.$`,
    ),
  );
  // How to resume is data, worded by each surface (the CLI's line is checked below).
  assert.deepEqual(down.fixes, [resumeHint(result.dir)]);
  // Every failure but the few that found the server down carries that message.
  const marked = failed.filter((r) => r.error?.endpointDown);
  assert.ok(failed.length - marked.length <= DOWN_AFTER + concurrency, `${marked.length} marked`);
  for (const r of marked) assert.equal(r.error?.message, `not sent: ${down.message}`);

  // Attempts after the kill: the questions in flight spent at most their retries; the rest none.
  const attempts = failed.reduce((sum, r) => sum + (r.error?.attempts ?? 0), 0);
  const notSent = marked.filter((r) => r.error?.attempts === 0).length;
  t.diagnostic(
    `${result.done} answered, ${result.failed} failed with ${attempts} attempts in all (${notSent} not sent); retrying each would make ${result.failed * ATTEMPTS}`,
  );
  assert.ok(attempts <= (DOWN_AFTER + concurrency) * ATTEMPTS, `${attempts} attempts`);
  assert.ok(notSent >= result.failed - (DOWN_AFTER + concurrency), `${notSent} not sent`);

  const unscored = records.filter((r) => r.status === 'ok' && r.error?.stage === 'score').length;
  // The server comes back on the same address: --resume answers exactly the failed questions.
  await startServer(t, server.port, 'm');
  const resumed = await executeRun(undefined, result.dir, '', context);
  assert.deepEqual(
    { done: resumed.done, failed: resumed.failed, endpointsDown: resumed.endpointsDown },
    // Rows answered but not scored (no scoring model here) are asked again too, by design.
    { done: result.failed + unscored, failed: 0, endpointsDown: undefined },
  );
  const after = [...RunStore.open(result.dir).records.values()];
  assert.equal(after.filter((r) => r.status === 'ok').length, QUESTIONS);
});

test('mcpo run against a server killed mid-run prints one message for the endpoint, not one line per question; the resume runs the count it announced', async (t) => {
  const server = await startServer(t);
  const dir = tempDir('mcpo-down-cli-');
  const runsDir = path.join(dir, 'runs');
  fs.mkdirSync(runsDir, { recursive: true });
  // Killed once the run has recorded KILL_AFTER questions (watched; the CLI has a deadline).
  const watchers: fs.FSWatcher[] = [];
  t.after(() => watchers.forEach((w) => w.close()));
  const watchRuns = fs.watch(runsDir, (_event, name) => {
    const runDir = name && path.join(runsDir, name);
    if (!runDir || watchers.length > 1 || !fs.existsSync(runDir)) return;
    watchers.push(
      fs.watch(runDir, () => {
        const file = path.join(runDir, 'records.jsonl');
        const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').length : 0;
        if (lines > KILL_AFTER && !killed) killed = server.kill();
      }),
    );
  });
  watchers.push(watchRuns);
  let killed: Promise<void> | undefined;
  const args = [...runArgs(SAMPLE_FILE, server.url, dir), '--concurrency', '4'];
  const cli = await runCli(args, process.env, 120_000);
  assert.equal(cli.code, 1, cli.stderr);
  assert.ok(killed, 'the server was killed mid-run');
  const downLines = cli.stderr.split('\n').filter((l) => l.includes('is not answering'));
  assert.equal(downLines.length, 1, cli.stderr);
  assert.match(
    downLines[0],
    new RegExp(
      `^error: test-model@127\\.0\\.0\\.1:${server.port} is not answering: .*mcpo run --resume `,
    ),
  );
  const questionLines = cli.stderr.split('\n').filter((l) => /^question \d+ failed/.test(l));
  assert.ok(questionLines.length <= DOWN_AFTER + 4, cli.stderr);
  // newuser-s23 K2: no question's line after the one summary, and each reads cleanly.
  const afterDown = cli.stderr.slice(cli.stderr.indexOf('is not answering'));
  assert.doesNotMatch(afterDown, /\nquestion \d+ failed/, cli.stderr);
  for (const line of questionLines) assert.doesNotMatch(line, /fetch|\.:/, line);
  const [runDir] = fs.readdirSync(runsDir).map((d) => path.join(runsDir, d));
  const records = [...RunStore.open(runDir).records.values()];
  const failed = records.filter((r) => r.status === 'failed').length;
  const notScored = records.filter(answeredNotScored).length;
  assert.ok(failed > 40 && notScored > 0, `${failed} failed, ${notScored} not scored`);
  // C4: the count announced and the count the resume runs agree, and both numbers are named.
  assert.ok(
    cli.stdout.includes(
      `INCOMPLETE: ${failed} of 96 questions failed and are not in these scores; "mcpo run --resume ${runDir}" retries them and asks the ${notScored} answered but not scored again (${failed + notScored} questions in all)`,
    ),
    cli.stdout,
  );
  await startServer(t, server.port);
  const resumed = await runCli(['run', '--resume', runDir, '--cache', path.join(dir, 'cache')]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(
    resumed.stderr,
    new RegExp(
      `: ${failed + notScored} of 96 questions to run \\(${failed} that failed, ${notScored} answered but not scored\\)\n`,
    ),
  );
  // C10: a re-run answered from the cache says so.
  const again = await runCli([...args, '--concurrency', '4']);
  assert.match(again.stderr, /: 96 of 96 questions to run\n/);
  assert.match(
    again.stderr,
    /\n96 of 96 answers came from the response cache \(no request sent\)\n/,
  );
});

/** A client whose calls follow a script: each call takes the next outcome. */
function scripted(outcomes: (Error | 'ok' | 'cached' | 'hang')[]): LlmClient & { calls: number } {
  const client = {
    calls: 0,
    endpoint: { ...DEFAULT_ENDPOINT_SETTINGS, baseUrl: 'http://h:1/v1', model: 'm' },
    label: 'm@h:1',
    check: () => Promise.resolve(),
    complete: (_request: unknown, signal?: AbortSignal): Promise<LlmResponse> => {
      const outcome = outcomes[client.calls++];
      if (outcome === 'hang')
        // Like a request between retries: the watch's abort ends it with the attempts made.
        return withRetries(() => Promise.reject(refused()), {
          maxRetries: 4,
          timeoutMs: 1000,
          describe: 'm@h:1',
          signal,
          sleep: (_ms, s) =>
            new Promise((_, reject) => s?.addEventListener('abort', () => reject(s.reason))),
        }).then(() => ({ text: '', cached: false, attempts: 1, latencyMs: 0 }));
      if (outcome instanceof Error) return Promise.reject(outcome);
      return Promise.resolve({
        text: '1',
        cached: outcome === 'cached',
        attempts: 1,
        latencyMs: 0,
      });
    },
  };
  return client;
}

function refused(): Error {
  const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
    code: 'ECONNREFUSED',
  });
  return new OpenAI.APIConnectionError({ message: 'Connection error.', cause });
}

const failedToConnect = (): Error => toLlmError(refused(), 'm@h:1', 5);
const serverError = (): Error =>
  toLlmError(
    OpenAI.APIError.generate(503, { error: { message: 'busy' } }, undefined, new Headers()),
    'm@h:1',
    5,
  );

const request = { prompt: 'q', sampling: { temperature: 0, top_p: 1, max_tokens: 1 } };

async function outcomes(client: LlmClient, calls: number): Promise<string[]> {
  const results: string[] = [];
  for (let i = 0; i < calls; i++)
    results.push(
      await client.complete(request).then(
        (r) => (r.cached ? 'cached' : 'ok'),
        (e: Error) => (e instanceof EndpointDownError ? 'down' : 'failed'),
      ),
    );
  return results;
}

test('the watch: an answer or an HTTP error between connection failures resets the count; a cached answer does not', async () => {
  const downs: EndpointDown[] = [];
  const f = failedToConnect;
  const inner = scripted([f(), f(), 'ok', f(), f(), serverError(), f(), f(), 'cached', f(), 'ok']);
  const watched = watchEndpoint(inner, resumeHint('/runs/r'), (d) => downs.push(d));
  assert.deepEqual(await outcomes(watched, 11), [
    ...['failed', 'failed', 'ok', 'failed', 'failed', 'failed', 'failed', 'failed', 'cached'],
    ...['failed', 'down'],
  ]);
  // The third failure in a row (the cached answer in between does not count) took it down.
  assert.equal(downs.length, 1);
  assert.equal(inner.calls, 10, 'nothing is sent once the endpoint is down');
});

test('the watch: a call waiting between retries when the endpoint goes down stops at once, with its attempts', async () => {
  const downs: EndpointDown[] = [];
  const inner = scripted(['hang', failedToConnect(), failedToConnect(), failedToConnect()]);
  const watched = watchEndpoint(inner, resumeHint('/runs/r'), (d) => downs.push(d));
  const waiting = watched.complete(request);
  const failures = await outcomes(watched, 3);
  assert.deepEqual(failures, ['failed', 'failed', 'failed']);
  const err = await waiting.then(
    () => assert.fail('it answered'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof EndpointDownError);
  assert.equal(err.attempts, 1);
  assert.equal(err.message, `not sent: ${downs[0].message}`);
});

test("the watch: a run's calls share one combined signal, and the run's abort reaches every call", async () => {
  const seen: AbortSignal[] = [];
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  process.on('warning', onWarning);
  try {
    const inner: LlmClient = {
      ...scripted([]),
      // Each call waits on its signal, as a request in flight or waiting for a slot does.
      complete: (_request, signal) => {
        seen.push(signal!);
        return new Promise((_, reject) =>
          signal!.addEventListener('abort', () => reject(signal!.reason)),
        );
      },
    };
    const run = new AbortController();
    const watched = watchEndpoint(inner, resumeHint('/runs/r'), () => undefined);
    const calls = Array.from({ length: 40 }, () => watched.complete(request, run.signal));
    assert.equal(new Set(seen).size, 1, 'one combined signal for the run, not one per call');
    run.abort(new Error('cancelled'));
    for (const call of calls) await assert.rejects(call, /cancelled/);
    // Node warns at an 11th listener on a signal unless told the many are meant.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      warnings.map((w) => w.name),
      [],
    );
  } finally {
    process.off('warning', onWarning);
  }
});
