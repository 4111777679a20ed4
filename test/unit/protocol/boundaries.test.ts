import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../../support/paths';

/**
 * The one-way floors, checked by name: the protocol (server/protocol/) depends on nothing of the
 * engine, and the extension and the webview reach the engine only through it. tsc would follow
 * any import, so these rules hold only if something fails when one is broken.
 */

/** Every import/export specifier of a TypeScript file (static, dynamic and `import type`). */
function specifiers(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const found: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]/gms,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of text.matchAll(pattern)) found.push(m[1]);
  return found;
}

function tsFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => path.join(dir, f));
}

const protocolDir = path.join(repoRoot, 'server', 'protocol');
const relative = (file: string): string => path.relative(repoRoot, file).split(path.sep).join('/');

test('the specifier scan sees every form of import', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-specifiers-'));
  try {
    const file = path.join(dir, 'sample.ts');
    fs.writeFileSync(
      file,
      [
        "import type { A } from '../a';",
        'import {',
        '  B,',
        "} from './b';",
        "export { C } from '../../c';",
        "import 'side-effect';",
        "const d = await import('./d');",
        "const e = require('e');",
      ].join('\n'),
    );
    assert.deepEqual(specifiers(file).sort(), [
      '../../c',
      '../a',
      './b',
      './d',
      'e',
      'side-effect',
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the protocol imports only its own files and vscode-jsonrpc (for the message objects)', () => {
  const files = tsFiles(protocolDir);
  assert.ok(files.length >= 4, `protocol files: ${files.join(', ')}`);
  const outside = files.flatMap((file) =>
    specifiers(file)
      .filter((s) => !(s.startsWith('./') && !s.slice(2).includes('/')) && s !== 'vscode-jsonrpc')
      .map((s) => `${relative(file)} imports ${s}`),
  );
  assert.deepEqual(outside, []);
});

test('only messages.ts imports vscode-jsonrpc: the wire types are plain types', () => {
  const users = tsFiles(protocolDir)
    .filter((file) => specifiers(file).includes('vscode-jsonrpc'))
    .map(relative);
  assert.deepEqual(users, ['server/protocol/messages.ts']);
});

test('extension/ and media/ import nothing of server/ but the protocol', () => {
  const offenders: string[] = [];
  for (const part of ['extension', 'media']) {
    for (const file of tsFiles(path.join(repoRoot, part))) {
      for (const s of specifiers(file)) {
        if (!s.startsWith('.')) continue;
        const target = relative(path.resolve(path.dirname(file), s));
        if (target.startsWith('server/') && !target.startsWith('server/protocol/'))
          offenders.push(`${relative(file)} imports ${s}`);
      }
    }
  }
  assert.deepEqual(offenders, []);
});

test('media/ (the webview) never imports the message objects (vscode-jsonrpc stays out of it)', () => {
  const offenders = tsFiles(path.join(repoRoot, 'media')).flatMap((file) =>
    specifiers(file)
      .filter((s) => /server\/protocol\/messages$/.test(s))
      .map((s) => `${relative(file)} imports ${s}`),
  );
  assert.deepEqual(offenders, []);
});
