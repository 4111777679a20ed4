import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { hasDatasetExtension, matchesGlobs, uriPath } from '../../../server/lsp/shopBenchDocument';

/** How VS Code on Windows names a file: drive letter lower-cased, its colon escaped. */
const VSCODE_WINDOWS_URI = 'file:///c%3A/Users/Me/My%20Data/shop/dev.jsonl';
/** How Node's pathToFileURL names the same file on Windows. */
const NODE_WINDOWS_URI = pathToFileURL(
  path.win32.join('C:\\', 'Users', 'Me', 'My Data', 'shop', 'dev.jsonl'),
  { windows: true },
).href;

test('a Windows file URI reads as a forward-slash path on every platform, spaces decoded', () => {
  assert.equal(uriPath(VSCODE_WINDOWS_URI), '/c:/Users/Me/My Data/shop/dev.jsonl');
  assert.equal(NODE_WINDOWS_URI, 'file:///C:/Users/Me/My%20Data/shop/dev.jsonl');
  assert.equal(uriPath(NODE_WINDOWS_URI), '/C:/Users/Me/My Data/shop/dev.jsonl');
});

test('a POSIX file URI reads as its path; other schemes are kept as they are', () => {
  assert.equal(uriPath('file:///home/me/a%20b/dev.jsonl'), '/home/me/a b/dev.jsonl');
  assert.equal(uriPath('untitled:Untitled-1'), 'untitled:Untitled-1');
});

test('dataset globs match Windows documents as they match POSIX ones', () => {
  for (const uri of [VSCODE_WINDOWS_URI, NODE_WINDOWS_URI, 'file:///home/me/shop/dev.jsonl']) {
    assert.ok(hasDatasetExtension(uri), uri);
    assert.ok(matchesGlobs(uri, ['dev.jsonl']), uri);
    assert.ok(matchesGlobs(uri, ['**/shop/*.jsonl']), uri);
    assert.ok(!matchesGlobs(uri, ['**/other/*.jsonl']), uri);
  }
  // A drive-anchored glob, written with forward slashes as VS Code globs are; drive letters in
  // any case.
  assert.ok(matchesGlobs(VSCODE_WINDOWS_URI, ['C:/Users/**/*.jsonl']));
  assert.ok(matchesGlobs(NODE_WINDOWS_URI, ['c:/users/**/*.jsonl']));
  assert.ok(!matchesGlobs(VSCODE_WINDOWS_URI, ['d:/**/*.jsonl']));
});
