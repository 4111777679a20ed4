/**
 * The engine says how to fix a problem as data (server/protocol/fixHints.ts); the CLI words each
 * fix as its flag, variable or command line, VS Code as its setting or command and a button. The
 * fixes here are the engine's own (its builders, not copies), so a change there shows here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { cliFixText, cliMessage } from '../../../server/cli/fixText';
import {
  errorActions,
  fixAction,
  fixOfAction,
  vscodeFixText,
  vscodeMessage,
} from '../../../extension/errorActions';
import { fixesOfData, type Fix } from '../../../server/protocol/fixHints';
import { makeExecutor } from '../../../server/jobs/submitSetup';
import { SlurmExecutor } from '../../../server/jobs/slurmExecutor';
import { NativePartError } from '../../../server/native/nativePart';
import { resumeHint } from '../../../server/runs/endpointWatch';
import { MV_FIXES } from '../../../server/runs/startRun';
import { runOptionsFromSettings } from '../../../server/lsp/runs';
import { fixesOf, UserError } from '../../../server/userError';
import { defaultPipelineSettings } from '../../support/contributedSettings';
import { repoRoot } from '../../support/paths';
import { SAMPLE_FILE } from '../../support/sample';

const [noHints, otherMv] = MV_FIXES;

function thrown(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UserError, String(err));
    return err;
  }
  assert.fail('it did not throw');
}

const slurmUrl = thrown(() => makeExecutor({ executor: 'slurm', platform: 'linux' }));
const llama = new NativePartError('llama.cpp', new Error('No prebuilt binary'), 'linux-x64');
const resume = resumeHint('/w/.mcpo/runs/r1');

test('an option with a value: the CLI says the flag and value, VS Code the setting and value, and a button opens it', () => {
  assert.equal(cliFixText(noHints), '--similarity-k 0');
  assert.equal(vscodeFixText(noHints), 'setting mcpo.similarity.k to 0');
  assert.equal(fixAction(noHints), 'Open mcpo.similarity.k');
  const message = 'similarity hints need the vector model (M_V), which did not load: gone.';
  assert.equal(
    cliMessage(message, MV_FIXES),
    `${message} To run without hints: --similarity-k 0. To use another M_V: --embed-model <hub id or folder>.`,
  );
  assert.equal(
    vscodeMessage(message, MV_FIXES),
    `${message} To run without hints: setting mcpo.similarity.k to 0. To use another M_V: setting mcpo.embedModel.`,
  );
  assert.deepEqual(errorActions('mcpo.runDataset', message, [...MV_FIXES]), [
    'Open mcpo.similarity.k',
    'Open mcpo.embedModel',
    'Retry',
    'Show Logs',
  ]);
  assert.equal(fixOfAction('Open mcpo.embedModel', MV_FIXES), otherMv);
});

test('an option the user fills in, with a variable: the CLI names flag, placeholder and variable; VS Code only the setting', () => {
  assert.equal(slurmUrl.exitCode, 2);
  const [fix] = slurmUrl.fixes;
  assert.equal(cliFixText(fix), '--slurm-url <url> (or SLURM_URL)');
  assert.equal(
    cliMessage(slurmUrl.message, slurmUrl.fixes),
    "no Slurm URL (slurmrestd's address, e.g. http://head:6820). To give it: --slurm-url <url> (or SLURM_URL).",
  );
  assert.equal(
    vscodeMessage(slurmUrl.message, slurmUrl.fixes),
    "no Slurm URL (slurmrestd's address, e.g. http://head:6820). To give it: setting mcpo.slurm.url.",
  );
  assert.deepEqual(errorActions('mcpo.submitJob', slurmUrl.message, [...slurmUrl.fixes]), [
    'Open mcpo.slurm.url',
    'Retry',
    'Show Logs',
  ]);
});

test('a command: the CLI says its command line, VS Code its title, and a button runs it with its arguments', () => {
  assert.equal(cliFixText(resume), 'mcpo run --resume /w/.mcpo/runs/r1');
  assert.equal(vscodeFixText(resume), 'MCPO: Resume Run');
  assert.equal(fixAction(resume), 'Resume Run');
  assert.deepEqual(
    {
      command: resume.kind === 'command' && resume.command,
      args: resume.kind === 'command' && resume.args,
    },
    { command: 'mcpo.resumeRun', args: ['/w/.mcpo/runs/r1'] },
  );
  const down = 'm@h:1 is not answering: … Finished questions are saved.';
  assert.equal(
    cliMessage(down, [resume]),
    `${down} To resume the run once the server is back: mcpo run --resume /w/.mcpo/runs/r1.`,
  );
  assert.equal(
    vscodeMessage(down, [resume]),
    `${down} To resume the run once the server is back: MCPO: Resume Run.`,
  );
});

test('a command whose CLI way is flags: llama.cpp missing offers Configure Endpoints once, and the CLI the flags', () => {
  assert.equal(
    cliMessage(llama.instead, llama.fixes),
    'Everything that talks to a server still works: use an OpenAI-compatible server instead. To use one: --llm-url / --slm-url and its model name.',
  );
  assert.equal(
    vscodeMessage(llama.instead, llama.fixes),
    'Everything that talks to a server still works: use an OpenAI-compatible server instead. To use one: MCPO: Configure Endpoints.',
  );
  // The fix is the wizard: offered once, not again as endpoint trouble.
  assert.deepEqual(errorActions('mcpo.runDataset', llama.message, [...llama.fixes]), [
    'Configure Endpoints',
    'Retry',
    'Show Logs',
  ]);
  // A wrapper that names its cause keeps the cause's fixes.
  assert.deepEqual(fixesOf(new UserError('endpoint check failed', { cause: llama })), llama.fixes);
});

test('a setting the message already names (VS Code only): a button, no sentence; the CLI adds nothing', () => {
  const settings = defaultPipelineSettings({
    llm: { url: 'http://gpu:8000/v1', model: 'big' },
    runsDir: '/tmp/runs',
    cacheDir: '/tmp/cache',
  });
  const err = thrown(() => runOptionsFromSettings({ ...settings, cot: 'slm' }, SAMPLE_FILE));
  assert.equal(vscodeMessage(err.message, err.fixes), err.message);
  assert.equal(cliMessage(err.message, err.fixes), err.message);
  assert.deepEqual(errorActions('mcpo.runDataset', err.message, [...err.fixes]).slice(0, 3), [
    'Open mcpo.slm.url',
    'Open mcpo.slm.model',
    'Open mcpo.cot.mode',
  ]);
});

test('fixes off the wire: only well-formed ones are kept', () => {
  const good: Fix = { kind: 'command', command: 'mcpo.setSlurmToken', title: 'Set Slurm Token' };
  assert.deepEqual(fixesOfData({ fixes: [good, { kind: 'command' }, 3, null] }), [good]);
  assert.deepEqual(fixesOfData(undefined), []);
  assert.deepEqual(fixesOfData({ fixes: 'no' }), []);
});

/** Every engine source file, its comments left out (they may say where VS Code has a thing). */
function engineCode(): { file: string; code: string }[] {
  const out: { file: string; code: string }[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.ts'))
        out.push({
          file: path.relative(repoRoot, file),
          code: fs
            .readFileSync(file, 'utf8')
            .replace(/\/\*[\s\S]*?\*\//g, '')
            .replace(/^\s*\/\/.*$/gm, ''),
        });
    }
  };
  walk(path.join(repoRoot, 'server'));
  return out;
}

test('no engine message words a fix for VS Code: no "VS Code:" and no "in VS Code mcpo.x" in its code', () => {
  const files = engineCode();
  assert.ok(files.length > 100, `${files.length} files`);
  const worded = files.filter(({ code }) =>
    /VS Code:|in VS Code,? mcpo\.|VS Code setting mcpo\.[\w.]+\)/.test(code),
  );
  assert.deepEqual(
    worded.map((f) => f.file),
    [],
  );
  // The messages whose fixes moved into data say neither surface's way any more.
  for (const message of [slurmUrl.message, llama.message, llama.instead]) {
    assert.doesNotMatch(message, /VS Code|--[a-z]|mcpo\.[a-z]/, message);
  }
});

test('Slurm refuses the token: the CLI says the variable and the flag, VS Code offers Set Slurm Token and the user setting', async (t) => {
  const slurmrestd = http.createServer((_req, res) => {
    res.writeHead(401, { 'content-type': 'text/plain' });
    res.end('Authentication failure');
  });
  await new Promise<void>((resolve) => slurmrestd.listen(0, '127.0.0.1', resolve));
  t.after(() => slurmrestd.close());
  const { port } = slurmrestd.address() as AddressInfo;
  const executor = new SlurmExecutor({
    url: `http://127.0.0.1:${port}`,
    api: 'v0.0.38',
    user: 'alice',
    token: () => 'expired',
    retryForMs: 10_000,
  });
  const err = await executor.ping().then(
    () => assert.fail('slurmrestd refused it'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof UserError, String(err));
  assert.equal(
    cliMessage(err.message, err.fixes),
    `slurmrestd at http://127.0.0.1:${port} refused the request as unauthenticated (HTTP 401). To give a valid token: mint one (scontrol token) and set MCPO_SLURM_TOKEN. To name its user: --slurm-user <name>.`,
  );
  assert.deepEqual(errorActions('mcpo.submitJob', err.message, [...err.fixes]), [
    'Set Slurm Token',
    'Open mcpo.slurm.user',
    'Retry',
    'Show Logs',
  ]);
  assert.doesNotMatch(vscodeMessage(err.message, err.fixes), /MCPO_SLURM_TOKEN|--slurm-user/);
});
