/** newuser-s23 K5: an unknown flag a typo away from a real one gets "did you mean". */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../../support/cli';
import { unknownOptionMessage } from '../../../server/cli/command';

test('mcpo run --presett suggests --preset and exits 2', async () => {
  const r = await runCli(['run', '--presett', 'paper']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^mcpo run: Unknown option '--presett': did you mean --preset\?\nusage: /);
});

test('a suggestion only for a close flag', () => {
  const options = { preset: { type: 'string' as const }, 'llm-url': { type: 'string' as const } };
  const unknown = (flag: string): string =>
    unknownOptionMessage(`Unknown option '${flag}'`, options);
  assert.equal(unknown('--llm-ulr'), "Unknown option '--llm-ulr': did you mean --llm-url?");
  assert.equal(unknown('--prset'), "Unknown option '--prset': did you mean --preset?");
  assert.equal(unknown('--frobnicate'), "Unknown option '--frobnicate'");
  assert.equal(unknown('--x'), "Unknown option '--x'");
  assert.equal(unknown('-p'), "Unknown option '-p'");
});
