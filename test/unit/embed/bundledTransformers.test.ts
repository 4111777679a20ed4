/**
 * The built engine loads transformers.js from dist/transformers.js (package.json build:cli: one
 * minified file, sharp left out) with a V8 code cache, not from the package: it must embed
 * exactly as the package does, from the cache as well as without it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEmbedder } from '../../../server/embed/embedder';
import { setTransformersImport } from '../../../server/embed/transformersRuntime';
import { requireWithCodeCache } from '../../../server/util/requireWithCodeCache';
import { repoRoot } from '../../support/paths';
import { buildTinyBertFixture } from '../../support/tinyBertFixture';
import { tempDir } from '../../support/tempDirs';

type Transformers = typeof import('@huggingface/transformers');

const BUNDLE = path.join(repoRoot, 'dist', 'transformers.js');
const root = tempDir('mcpo-bundled-transformers-');
const folder = buildTinyBertFixture(path.join(root, 'tiny-bert'));
const TEXTS = ['a red running shoe', 'ノートパソコン用スタンド', 'USB-C cable, 2 m'];

after(() => setTransformersImport());

async function embedWith(load: () => Promise<Transformers>): Promise<Float32Array[]> {
  setTransformersImport(load);
  const embedder = await loadEmbedder(folder, { cacheDir: path.join(root, 'models') });
  try {
    return await embedder.embed(TEXTS);
  } finally {
    await embedder.dispose();
  }
}

test('dist/transformers.js embeds exactly as the package, with and without its code cache', async () => {
  assert.ok(fs.existsSync(BUNDLE), `${BUNDLE} is built by npm run build (build:cli)`);
  const cacheDir = path.join(root, 'code-cache');
  const uses: string[] = [];
  const bundled = (): Promise<Transformers> => {
    const loaded = requireWithCodeCache(BUNDLE, cacheDir);
    uses.push(loaded.cache);
    return Promise.resolve(loaded.exports as Transformers);
  };
  const fromPackage = await embedWith(() => import('@huggingface/transformers'));
  const fromBundle = await embedWith(bundled);
  const fromCache = await embedWith(bundled);
  assert.deepEqual(uses, ['written', 'used']);
  assert.equal(fromPackage.length, TEXTS.length);
  for (const vectors of [fromBundle, fromCache])
    vectors.forEach((v, i) => assert.deepEqual([...v], [...fromPackage[i]]));
});

test('the bundle leaves sharp out: image inputs say so instead of loading it', () => {
  const source = fs.readFileSync(BUNDLE, 'utf8');
  assert.match(source, /MCPO Workbench embeds text only/);
  assert.doesNotMatch(source, /require\("sharp"\)/);
});
