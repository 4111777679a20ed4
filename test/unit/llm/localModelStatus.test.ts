/**
 * The local health check tells a cached hub model, one that will download, and one that cannot
 * (offline, no such model) apart, without downloading anything. The hub is a local HTTP server
 * standing in for huggingface.co through HF_ENDPOINT, which node-llama-cpp honours too.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { hubRepository, isModelUri } from '../../../server/llm/localModels';
import { localModelStatus } from '../../../server/llm/localModelStatus';
import { checkEndpoints } from '../../../server/lsp/runQueries';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-model-status-'));
const MODEL = 'hf:acme/tiny-GGUF:Q4_K_M';
const requests: string[] = [];
/** Answers the model API for acme/tiny-GGUF only; never answers /hang. */
const hub = http.createServer((req, res) => {
  requests.push(`${req.method} ${req.url}`);
  if (req.url?.startsWith('/hang/')) return; // left open until the server closes
  res.writeHead(req.url === '/api/models/acme/tiny-GGUF' ? 200 : 404).end('{}');
});
let hubUrl = '';
const savedEndpoint = process.env.HF_ENDPOINT;

before(async () => {
  await new Promise<void>((resolve) => hub.listen(0, '127.0.0.1', resolve));
  hubUrl = `http://127.0.0.1:${(hub.address() as AddressInfo).port}/`;
});

after(async () => {
  hub.closeAllConnections();
  await new Promise<void>((resolve) => hub.close(() => resolve()));
  if (savedEndpoint === undefined) delete process.env.HF_ENDPOINT;
  else process.env.HF_ENDPOINT = savedEndpoint;
  fs.rmSync(root, { recursive: true, force: true });
});

function cacheDir(name: string): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

test('a hub model in the cache is "cached", with no request to the hub', async () => {
  process.env.HF_ENDPOINT = hubUrl;
  const dir = cacheDir('cached');
  // node-llama-cpp's file name for hf:acme/tiny-GGUF:Q4_K_M.
  fs.writeFileSync(path.join(dir, 'hf_acme_tiny.Q4_K_M.gguf'), 'GGUF');
  const before = requests.length;
  const status = await localModelStatus(MODEL, { cacheDir: dir });
  assert.equal(status.state, 'cached', status.message);
  assert.equal(status.ok, true);
  assert.equal(status.file, path.join(dir, 'hf_acme_tiny.Q4_K_M.gguf'));
  assert.equal(requests.length, before);
});

test('a hub model not cached but on a reachable hub "will download"', async () => {
  process.env.HF_ENDPOINT = hubUrl;
  const status = await localModelStatus(MODEL, { cacheDir: cacheDir('empty') });
  assert.equal(status.state, 'will-download', status.message);
  assert.equal(status.ok, true);
  assert.match(status.message, /not cached yet; downloaded once into .* on the first run/);
  assert.equal(requests.at(-1), 'GET /api/models/acme/tiny-GGUF');
  assert.deepEqual(
    fs.readdirSync(cacheDir('empty')),
    [],
    'the health check must not download anything',
  );
});

test('a hub model the hub does not have "cannot download"', async () => {
  process.env.HF_ENDPOINT = hubUrl;
  const status = await localModelStatus('hf:acme/nothing-GGUF:Q4_K_M', {
    cacheDir: cacheDir('empty'),
  });
  assert.equal(status.state, 'cannot-download');
  assert.equal(status.ok, false);
  assert.match(status.message, /has no such model \(HTTP 404\)/);
});

test('offline: an unreachable hub "cannot download", and says so', async () => {
  // A port nothing listens on: connection refused at once.
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  process.env.HF_ENDPOINT = `http://127.0.0.1:${port}/`;
  const status = await localModelStatus(MODEL, { cacheDir: cacheDir('empty') });
  assert.equal(status.state, 'cannot-download', status.message);
  assert.equal(status.ok, false);
  assert.match(
    status.message,
    /cannot be downloaded \(offline: 127\.0\.0\.1:\d+ cannot be reached: ECONNREFUSED\)/,
  );
});

test('a hub that never answers is given up on at the deadline', async () => {
  process.env.HF_ENDPOINT = `${hubUrl}hang/`;
  const status = await localModelStatus(MODEL, { cacheDir: cacheDir('empty'), timeoutMs: 200 });
  assert.equal(status.state, 'cannot-download');
  assert.match(status.message, /did not answer within 200 ms/);
});

test('Check Endpoints shows the three states of a hub model, and a missing file', async () => {
  const settings = {
    embedModel: 'x',
    templates: 'paper',
    cot: 'off' as const,
    cotTaskTypes: [],
    similarityK: 0,
    constrained: false,
    runsDir: root,
    cacheDir: root,
  };
  const check = async (model: string) =>
    (
      await checkEndpoints(
        {
          settings: { ...settings, llm: { url: 'local', model, mode: 'chat', concurrency: 1 } },
          secrets: {},
        },
        new AbortController().signal,
      )
    ).endpoints[0];
  const saved = process.env.MCPO_MODEL_CACHE;
  process.env.MCPO_MODEL_CACHE = cacheDir('check');
  try {
    process.env.HF_ENDPOINT = hubUrl;
    assert.deepEqual(
      [(await check(MODEL)).ok, (await check('hf:acme/nothing-GGUF:Q4_K_M')).ok],
      [true, false],
    );
    assert.match((await check(MODEL)).message, /not cached yet/);
    fs.writeFileSync(path.join(cacheDir('check'), 'hf_acme_tiny.Q4_K_M.gguf'), 'GGUF');
    assert.match((await check(MODEL)).message, /cached at/);
    const missing = await check('/nope/model.gguf');
    assert.equal(missing.ok, false);
    assert.match(missing.message, /\/nope\/model\.gguf does not exist/);
  } finally {
    if (saved === undefined) delete process.env.MCPO_MODEL_CACHE;
    else process.env.MCPO_MODEL_CACHE = saved;
  }
});

test('every way of writing a hub reference is a download for the CLI and asks the hub for VS Code', async () => {
  process.env.HF_ENDPOINT = hubUrl;
  const references = [
    'hf:acme/tiny-GGUF:Q4_K_M',
    'hf://acme/tiny-GGUF:Q4_K_M',
    'huggingface:acme/tiny-GGUF',
    'HF:acme/tiny-GGUF/tiny.Q4_K_M.gguf',
  ];
  for (const reference of references) {
    // The CLI keeps a model URI as given instead of resolving it as a file.
    assert.equal(isModelUri(reference), true, reference);
    assert.deepEqual(hubRepository(reference), { user: 'acme', repo: 'tiny-GGUF' }, reference);
    // Check Endpoints asks the hub's model API about the same repository.
    const status = await localModelStatus(reference, { cacheDir: cacheDir('forms') });
    assert.equal(status.state, 'will-download', `${reference}: ${status.message}`);
    assert.equal(requests.at(-1), 'GET /api/models/acme/tiny-GGUF', reference);
  }
  for (const notHub of ['https://example.com/tiny.gguf', './models/tiny.gguf', 'tiny.gguf']) {
    assert.equal(hubRepository(notHub), undefined, notHub);
    assert.equal(isModelUri(notHub), notHub.startsWith('https:'), notHub);
  }
});
