/**
 * A tiny random-weight llama GGUF, built from code: the test model of the local llama.cpp
 * backend (server/llm/localLlama.ts), and the demo model `mcpo run --demo-fallback` uses when the
 * default model cannot be downloaded. It writes a complete GGUF v3 file itself: llama
 * architecture, one block, F32 tensors, a SentencePiece ("llama") vocabulary and a ChatML
 * `tokenizer.chat_template`. Its answers are gibberish: it proves code paths, never quality.
 *
 * Why these choices:
 * - Every token string is unique: llama.cpp aborts the whole process (GGML assertion) on a
 *   vocabulary with duplicate strings.
 * - All 256 `<0xXX>` byte tokens are present: the SPM tokenizer falls back to them for any
 *   character not in the vocabulary (and throws without them), so any prompt tokenizes. A random
 *   model therefore also emits stray bytes, i.e. invalid UTF-8, which the client must survive.
 * - context_length is 8192, not a few hundred: without merges most characters are one token, and
 *   the longest ShopBench sample prompt is ~4,000 characters. The KV cache is still ~2 MB.
 * - Weights come from the seeded mulberry32 PRNG with + - * / only, so the bytes are identical on
 *   every run and machine.
 *
 * Run directly to build a file: `node out/server/llm/demoGguf.js <file.gguf>`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/writeFileAtomic';
import { mulberry32 } from '../util/seededRandom';

/** Bump when the generator changes; it is written into general.name. */
const FIXTURE_VERSION = 'tiny-llama-gguf-v1';

const EMBED = 32;
const HEADS = 2;
const HEADS_KV = 2;
const HEAD_DIM = EMBED / HEADS;
const BLOCKS = 1;
const FEED_FORWARD = 64;
export const DEMO_CONTEXT_SIZE = 8192;
const CONTEXT = DEMO_CONTEXT_SIZE;
const RMS_EPS = 1e-5;
const ALIGNMENT = 32;
const SEED = 20240605;

/** ChatML: the template node-llama-cpp must resolve from the GGUF (it recognises it as ChatML). */
export const TINY_LLAMA_CHAT_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

// GGUF value types (gguf.h).
const GGUF_UINT32 = 4;
const GGUF_INT32 = 5;
const GGUF_FLOAT32 = 6;
const GGUF_BOOL = 7;
const GGUF_STRING = 8;
const GGUF_ARRAY = 9;

// llama.cpp token types (llama_token_type).
const TOKEN_NORMAL = 1;
const TOKEN_UNKNOWN = 2;
const TOKEN_CONTROL = 3;
const TOKEN_BYTE = 6;

type MetadataValue =
  | { type: 'u32'; value: number }
  | { type: 'i32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'strings'; value: string[] }
  | { type: 'f32s'; value: number[] }
  | { type: 'i32s'; value: number[] };

/** Little-endian byte sink that grows as needed. */
class ByteWriter {
  private buffer = Buffer.alloc(1 << 16);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const next = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + extra));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buffer.writeUInt32LE(v, this.length);
    this.length += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buffer.writeInt32LE(v, this.length);
    this.length += 4;
  }
  u64(v: number): void {
    this.ensure(8);
    this.buffer.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  f32(v: number): void {
    this.ensure(4);
    this.buffer.writeFloatLE(v, this.length);
    this.length += 4;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buffer.writeUInt8(v, this.length);
    this.length += 1;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buffer.set(b, this.length);
    this.length += b.length;
  }
  /** GGUF string: u64 byte length, then UTF-8 bytes, no terminator. */
  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.bytes(b);
  }
  padTo(alignment: number): void {
    while (this.length % alignment !== 0) this.u8(0);
  }
  result(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.length));
  }
}

function writeValue(w: ByteWriter, v: MetadataValue): void {
  switch (v.type) {
    case 'u32':
      w.u32(GGUF_UINT32);
      w.u32(v.value);
      return;
    case 'i32':
      w.u32(GGUF_INT32);
      w.i32(v.value);
      return;
    case 'f32':
      w.u32(GGUF_FLOAT32);
      w.f32(v.value);
      return;
    case 'bool':
      w.u32(GGUF_BOOL);
      w.u8(v.value ? 1 : 0);
      return;
    case 'string':
      w.u32(GGUF_STRING);
      w.string(v.value);
      return;
    case 'strings':
      w.u32(GGUF_ARRAY);
      w.u32(GGUF_STRING);
      w.u64(v.value.length);
      for (const s of v.value) w.string(s);
      return;
    case 'f32s':
      w.u32(GGUF_ARRAY);
      w.u32(GGUF_FLOAT32);
      w.u64(v.value.length);
      for (const x of v.value) w.f32(x);
      return;
    case 'i32s':
      w.u32(GGUF_ARRAY);
      w.u32(GGUF_INT32);
      w.u64(v.value.length);
      for (const x of v.value) w.i32(x);
      return;
  }
}

/** The vocabulary: specials, 256 byte tokens, then printable characters and a few words (all unique). */
function vocabulary(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens: string[] = [];
  const scores: number[] = [];
  const types: number[] = [];
  const add = (token: string, score: number, type: number): void => {
    tokens.push(token);
    scores.push(score);
    types.push(type);
  };
  add('<unk>', 0, TOKEN_UNKNOWN);
  add('<s>', 0, TOKEN_CONTROL);
  add('</s>', 0, TOKEN_CONTROL);
  add('<|im_start|>', 0, TOKEN_CONTROL);
  add('<|im_end|>', 0, TOKEN_CONTROL);
  for (let b = 0; b < 256; b++)
    add(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, 0, TOKEN_BYTE);
  // SentencePiece spells a leading space as U+2581; words get higher scores so merges prefer them.
  const words = ['the', 'and', 'product', 'answer', 'option', 'query', 'is', 'of', 'to', 'a'];
  for (const word of words) add(`\u2581${word}`, -1, TOKEN_NORMAL);
  add('\u2581', -2, TOKEN_NORMAL);
  for (let c = 0x21; c < 0x7f; c++) add(String.fromCharCode(c), -3, TOKEN_NORMAL);
  if (new Set(tokens).size !== tokens.length)
    throw new Error('tiny llama vocabulary has duplicate token strings');
  return { tokens, scores, types };
}

interface Tensor {
  name: string;
  /** ggml order: dims[0] is the fastest-varying (input) dimension. */
  dims: number[];
  data: Float32Array;
}

/** Uniform weights in [-scale, scale). */
function randomTensor(rand: () => number, name: string, dims: number[], scale: number): Tensor {
  const count = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = (rand() * 2 - 1) * scale;
  return { name, dims, data };
}

function onesTensor(name: string, size: number): Tensor {
  return { name, dims: [size], data: new Float32Array(size).fill(1) };
}

/** The whole GGUF file as bytes (deterministic). */
export function tinyLlamaGgufBytes(): Buffer {
  const { tokens, scores, types } = vocabulary();
  const vocab = tokens.length;
  const rand = mulberry32(SEED);
  const kvDim = HEAD_DIM * HEADS_KV;
  const tensors: Tensor[] = [randomTensor(rand, 'token_embd.weight', [EMBED, vocab], 0.5)];
  for (let b = 0; b < BLOCKS; b++) {
    tensors.push(
      onesTensor(`blk.${b}.attn_norm.weight`, EMBED),
      randomTensor(rand, `blk.${b}.attn_q.weight`, [EMBED, EMBED], 0.3),
      randomTensor(rand, `blk.${b}.attn_k.weight`, [EMBED, kvDim], 0.3),
      randomTensor(rand, `blk.${b}.attn_v.weight`, [EMBED, kvDim], 0.3),
      randomTensor(rand, `blk.${b}.attn_output.weight`, [EMBED, EMBED], 0.3),
      onesTensor(`blk.${b}.ffn_norm.weight`, EMBED),
      randomTensor(rand, `blk.${b}.ffn_gate.weight`, [EMBED, FEED_FORWARD], 0.3),
      randomTensor(rand, `blk.${b}.ffn_up.weight`, [EMBED, FEED_FORWARD], 0.3),
      randomTensor(rand, `blk.${b}.ffn_down.weight`, [FEED_FORWARD, EMBED], 0.3),
    );
  }
  tensors.push(
    onesTensor('output_norm.weight', EMBED),
    randomTensor(rand, 'output.weight', [EMBED, vocab], 0.5),
  );

  const metadata: [string, MetadataValue][] = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: FIXTURE_VERSION }],
    ['general.alignment', { type: 'u32', value: ALIGNMENT }],
    ['general.file_type', { type: 'u32', value: 0 }], // ALL_F32
    ['llama.context_length', { type: 'u32', value: CONTEXT }],
    ['llama.embedding_length', { type: 'u32', value: EMBED }],
    ['llama.block_count', { type: 'u32', value: BLOCKS }],
    ['llama.feed_forward_length', { type: 'u32', value: FEED_FORWARD }],
    ['llama.attention.head_count', { type: 'u32', value: HEADS }],
    ['llama.attention.head_count_kv', { type: 'u32', value: HEADS_KV }],
    ['llama.rope.dimension_count', { type: 'u32', value: HEAD_DIM }],
    ['llama.rope.freq_base', { type: 'f32', value: 10000 }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: RMS_EPS }],
    ['llama.vocab_size', { type: 'u32', value: vocab }],
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'strings', value: tokens }],
    ['tokenizer.ggml.scores', { type: 'f32s', value: scores }],
    ['tokenizer.ggml.token_type', { type: 'i32s', value: types }],
    ['tokenizer.ggml.unknown_token_id', { type: 'u32', value: 0 }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: 1 }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: 4 }], // <|im_end|>: ends a ChatML turn
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
    ['tokenizer.chat_template', { type: 'string', value: TINY_LLAMA_CHAT_TEMPLATE }],
  ];

  const w = new ByteWriter();
  w.bytes(Buffer.from('GGUF', 'ascii'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(metadata.length);
  for (const [key, value] of metadata) {
    w.string(key);
    writeValue(w, value);
  }
  // Tensor infos: offsets are relative to the (aligned) start of the data section and aligned themselves.
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    offset = Math.ceil(offset / ALIGNMENT) * ALIGNMENT;
    offsets.push(offset);
    w.string(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(0); // GGML_TYPE_F32
    w.u64(offset);
    offset += t.data.byteLength;
  }
  w.padTo(ALIGNMENT);
  const dataStart = w.length;
  tensors.forEach((t, i) => {
    while (w.length < dataStart + offsets[i]) w.u8(0);
    w.bytes(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  });
  w.padTo(ALIGNMENT);
  return w.result();
}

/**
 * Writes the GGUF to `file` (directories created) and returns its absolute path. A file already
 * holding the right bytes is left alone; otherwise it is replaced atomically (temp + rename) so
 * a concurrent loader never sees half a file.
 */
export function buildTinyLlamaGguf(file: string): string {
  const target = path.resolve(file);
  const bytes = tinyLlamaGgufBytes();
  try {
    if (fs.readFileSync(target).equals(bytes)) return target;
  } catch {
    // missing or unreadable: (re)write below
  }
  writeFileAtomic(target, bytes);
  return target;
}

// Runnable as a script (out/server/llm/demoGguf.js); bundled into another entry point it stays a library.
if (require.main === module && /demoGguf\.js$/.test(require.main.filename)) {
  const target = process.argv[2];
  if (!target) {
    console.error('usage: node demoGguf.js <output.gguf>');
    process.exit(2);
  }
  const started = performance.now();
  const file = buildTinyLlamaGguf(target);
  console.log(
    `tiny llama GGUF ${file} (${fs.statSync(file).size} bytes, ${(performance.now() - started).toFixed(0)} ms)`,
  );
}
