import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEmbedder, queryPromptText } from '../../../server/embed/embedder';
import { dot, rankOptions } from '../../../server/pipeline/similarity';
import { buildTinyBertFixture } from '../../support/tinyBertFixture';

const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-query-prompt-'));
after(() => fs.rmSync(tempRoot, { recursive: true, force: true }));

const SNOWFLAKE_QUERY = 'Represent this sentence for searching relevant passages: ';

/** The tiny BERT fixture with a sentence-transformers prompts file (and optionally CLS pooling). */
function fixture(name: string, prompts: unknown, pooling: 'mean' | 'cls' = 'mean'): string {
  const dir = buildTinyBertFixture(path.join(tempRoot, name));
  if (prompts !== undefined)
    fs.writeFileSync(
      path.join(dir, 'config_sentence_transformers.json'),
      JSON.stringify(prompts, null, 2),
    );
  if (pooling === 'cls') {
    const file = path.join(dir, '1_Pooling', 'config.json');
    const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(
      file,
      JSON.stringify({ ...config, pooling_mode_cls_token: true, pooling_mode_mean_tokens: false }),
    );
  }
  return dir;
}

function same(a: Float32Array, b: Float32Array): boolean {
  return a.every((x, i) => Math.abs(x - b[i]) < 1e-5);
}

test('the query side is encoded with the model\'s "query" prompt from config_sentence_transformers.json', async () => {
  const e = await loadEmbedder(
    fixture('query', { prompts: { query: SNOWFLAKE_QUERY }, default_prompt_name: null }),
  );
  try {
    assert.deepEqual(e.prompts, { query: SNOWFLAKE_QUERY });
    assert.equal(e.defaultPromptName, undefined);
    const prompt = queryPromptText(e, 'model');
    assert.equal(prompt, SNOWFLAKE_QUERY);
    assert.equal(queryPromptText(e, 'none'), undefined);
    assert.equal(queryPromptText(e, { text: 'q: ' }), 'q: ');
    const [withPrompt] = await e.embed(['red running shoes'], { prompt });
    const [spelledOut] = await e.embed([`${SNOWFLAKE_QUERY}red running shoes`]);
    const [plain] = await e.embed(['red running shoes']);
    assert.ok(same(withPrompt, spelledOut), 'the prompt goes before the text');
    assert.ok(!same(withPrompt, plain), 'the prompt changes the vector');
  } finally {
    await e.dispose();
  }
});

test('default_prompt_name applies to every text unless a prompt is given; no query prompt falls back to it', async () => {
  const e = await loadEmbedder(
    fixture('default', { prompts: { passage: 'passage: ' }, default_prompt_name: 'passage' }),
  );
  try {
    assert.equal(e.defaultPromptName, 'passage');
    const [defaulted] = await e.embed(['wool socks']);
    const [explicit] = await e.embed(['passage: wool socks'], { prompt: '' });
    assert.ok(same(defaulted, explicit));
    assert.equal(queryPromptText(e, 'model'), 'passage: ');
  } finally {
    await e.dispose();
  }
});

test('a model without prompts has no query prompt; a default_prompt_name that names no prompt is a clear error', async () => {
  const plain = await loadEmbedder(fixture('plain', undefined));
  try {
    assert.deepEqual(plain.prompts, {});
    assert.equal(queryPromptText(plain, 'model'), undefined);
  } finally {
    await plain.dispose();
  }
  await assert.rejects(
    loadEmbedder(fixture('broken', { prompts: { query: 'q: ' }, default_prompt_name: 'doc' })),
    /default_prompt_name "doc", which is not one of its prompts \(query\)/,
  );
});

test('pooling follows 1_Pooling/config.json (CLS here), and dot ranks as the reference does', async () => {
  const cls = await loadEmbedder(fixture('cls', undefined, 'cls'));
  const mean = await loadEmbedder(fixture('mean', undefined));
  try {
    const [a] = await cls.embed(['leather wallet']);
    const [b] = await mean.embed(['leather wallet']);
    assert.ok(!same(a, b), 'CLS and mean pooling give different vectors');
  } finally {
    await cls.dispose();
    await mean.dispose();
  }
  // Dot product versus cosine on unnormalised vectors: the longer vector wins under dot.
  const body = new Float32Array([1, 0]);
  const options = [
    { number: 1, text: 'a', lineStart: 0, lineEnd: 0, textStart: 0, textEnd: 0 },
    { number: 2, text: 'b', lineStart: 0, lineEnd: 0, textStart: 0, textEnd: 0 },
  ];
  const vectors = [new Float32Array([1, 0.1]), new Float32Array([3, 3])];
  assert.deepEqual(
    rankOptions(body, vectors, options, 'dot').map((o) => o.number),
    [2, 1],
  );
  assert.deepEqual(
    rankOptions(body, vectors, options, 'cosine').map((o) => o.number),
    [1, 2],
  );
  assert.equal(dot(body, vectors[1]), 3);
});
