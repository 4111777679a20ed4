import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../../support/paths';

test('the Node version is pinned: .nvmrc, engines and the running node agree (CI checks the same)', () => {
  const nvmrc = fs.readFileSync(path.join(repoRoot, '.nvmrc'), 'utf8').trim();
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    engines: { node: string };
  };
  assert.equal(pkg.engines.node, `${nvmrc}.x`);
  assert.equal(process.versions.node.split('.')[0], nvmrc);
  const r = spawnSync(process.execPath, [path.join(repoRoot, '.ci', 'check-node.mjs')], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
});
