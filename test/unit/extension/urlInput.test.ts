/**
 * Configure Endpoints refuses a server URL without http:// as it is typed (and says what to type),
 * instead of saving it for the status to report "Invalid URL" later.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as UrlInput from '../../../extension/urlInput';
import { loadSource } from '../panel/loadSource';

const { urlInputProblem } = loadSource<typeof UrlInput>('extension/urlInput.ts');

test('a URL without http:// is refused with the http:// form of what was typed', () => {
  const problem = urlInputProblem('127.0.0.1:18720');
  assert.ok(problem, 'refused');
  assert.match(problem, /http:\/\/127\.0\.0\.1:18720\b/);
  assert.match(urlInputProblem(' gpu-box:8000/v1 ') ?? '', /http:\/\/gpu-box:8000\/v1\b/);
  assert.ok(urlInputProblem('ftp://gpu-box/v1'), 'not http(s)');
  assert.ok(urlInputProblem('http://'), 'no host');
});

test('http(s) URLs and "local" are accepted; empty only where it means no model', () => {
  for (const ok of [
    'http://127.0.0.1:18720/v1',
    'https://api.example.com/v1',
    ' http://gpu:8000 ',
    'local',
  ])
    assert.equal(urlInputProblem(ok), undefined, ok);
  assert.ok(urlInputProblem(''), 'M_L needs a URL');
  assert.equal(urlInputProblem('  ', true), undefined);
});
