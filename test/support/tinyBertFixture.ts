/**
 * A tiny BERT-architecture sentence encoder, built from code, for offline embedding tests.
 *
 * The machine running the tests cannot reach the Hugging Face hub, so this writes a complete
 * transformers.js model folder itself:
 *   config.json, tokenizer.json (WordPiece), tokenizer_config.json, onnx/model.onnx (fp32),
 *   plus the sentence-transformers files (modules.json, sentence_bert_config.json,
 *   1_Pooling/config.json) that declare mean pooling and normalisation.
 * Weights come from a seeded PRNG using only + - * / (no Math.sin/log, whose last bits may vary
 * between engines), and the ONNX protobuf is written by a minimal encoder below, so the bytes are
 * identical on every run and no new npm dependency is needed.
 *
 * Graph (opset 17): embeddings (word + position + token type, LayerNormalization), then per layer
 * multi-head self-attention with the additive mask (1 - mask) * -10000, residual + LayerNorm,
 * a GELU (erf form) feed-forward block, residual + LayerNorm. Output: last_hidden_state.
 *
 * Run directly to build into a folder: `node out/test/support/tinyBertFixture.js <dir>`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mulberry32 } from '../../server/util/seededRandom';
import { writeFileAtomic } from '../../server/util/writeFileAtomic';

/** Bump when the generator changes; it is written into config.json and the marker file. */
const FIXTURE_VERSION = 'tiny-bert-fixture-v1';
const MARKER_FILE = 'fixture-version.txt';

/** A BERT encoder's sizes. Every test uses the tiny one; the bench also needs a real model's size. */
export interface BertShape {
  hidden: number;
  heads: number;
  layers: number;
  intermediate: number;
  maxPositions: number;
  /** The vocabulary is padded with [unusedN] tokens up to this size (never cut below the words). */
  vocabSize: number;
}

/** 64 wide, 2 layers: loads in milliseconds, still a real BERT graph for onnxruntime. */
export const TINY_BERT: BertShape = {
  hidden: 64,
  heads: 2,
  layers: 2,
  intermediate: 128,
  maxPositions: 128,
  vocabSize: 0,
};

/**
 * all-MiniLM-L6-v2's sizes (22.7 M parameters, a 90 MB model.onnx) with random weights: what the
 * sent-transformer rows load by default, for memory figures that are not flattered by a toy.
 */
export const MINILM_SIZED_BERT: BertShape = {
  hidden: 384,
  heads: 12,
  layers: 6,
  intermediate: 1536,
  maxPositions: 512,
  vocabSize: 30522,
};

const TYPE_VOCAB = 2;
const LAYER_NORM_EPS = 1e-12;
const SEED = 20240601;

// ---------------------------------------------------------------------------------------------
// Deterministic PRNG
// ---------------------------------------------------------------------------------------------

/** Uniform weights in [-scale, scale): standard deviation scale / sqrt(3). */
function randomTensor(rand: () => number, count: number, scale: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (rand() * 2 - 1) * scale;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Minimal protobuf encoder (only what ONNX ModelProto needs)
// ---------------------------------------------------------------------------------------------

const WIRE_VARINT = 0;
const WIRE_FIXED32 = 5;
const WIRE_LENGTH = 2;

/** Collects one protobuf message; fields are appended in call order. */
class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];

  /** int32/int64/enum field. Negative values use the 10-byte two's complement form. */
  varint(field: number, value: number): this {
    this.tag(field, WIRE_VARINT);
    this.chunks.push(encodeVarint(BigInt.asUintN(64, BigInt(value))));
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.chunks.push(bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LENGTH);
    this.chunks.push(encodeVarint(BigInt(value.length)), value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, sub: ProtoWriter): this {
    return this.bytes(field, sub.finish());
  }

  finish(): Uint8Array {
    return Buffer.concat(this.chunks);
  }

  private tag(field: number, wire: number): void {
    this.chunks.push(encodeVarint(BigInt(field * 8 + wire)));
  }
}

function encodeVarint(value: bigint): Uint8Array {
  const out: number[] = [];
  let v = value;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------------------------------------
// ONNX message builders (field numbers from onnx.proto)
// ---------------------------------------------------------------------------------------------

const ONNX_FLOAT = 1;
const ONNX_INT64 = 7;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: number[] };

function attribute(name: string, attr: AttrValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (attr.kind === 'float') return w.float(2, attr.value).varint(20, ATTR_FLOAT);
  if (attr.kind === 'int') return w.varint(3, attr.value).varint(20, ATTR_INT);
  for (const v of attr.value) w.varint(8, v); // unpacked repeated int64 is valid protobuf
  return w.varint(20, ATTR_INTS);
}

function floatTensor(name: string, dims: number[], data: Float32Array): ProtoWriter {
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  data.forEach((x, i) => view.setFloat32(i * 4, x, true)); // ONNX raw_data is little-endian
  const w = new ProtoWriter();
  for (const d of dims) w.varint(1, d);
  return w.varint(2, ONNX_FLOAT).string(8, name).bytes(9, raw);
}

function int64Tensor(name: string, dims: number[], data: number[]): ProtoWriter {
  const raw = new Uint8Array(data.length * 8);
  const view = new DataView(raw.buffer);
  data.forEach((x, i) => view.setBigInt64(i * 8, BigInt(x), true));
  const w = new ProtoWriter();
  for (const d of dims) w.varint(1, d);
  return w.varint(2, ONNX_INT64).string(8, name).bytes(9, raw);
}

/** A graph input/output: element type plus dims, where a string is a symbolic dimension. */
function valueInfo(name: string, elemType: number, dims: (number | string)[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) {
    const dim =
      typeof d === 'number' ? new ProtoWriter().varint(1, d) : new ProtoWriter().string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().varint(1, elemType).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

/** Accumulates nodes and initializers; names are generated so helpers stay short. */
class GraphBuilder {
  constructor(readonly shape: BertShape) {}

  readonly nodes: ProtoWriter[] = [];
  readonly initializers: ProtoWriter[] = [];
  private counter = 0;

  /** Adds one node with a single output and returns that output's name. */
  op(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    outputName?: string,
  ): string {
    const output = outputName ?? `${opType.toLowerCase()}_${this.counter}`;
    const node = new ProtoWriter();
    for (const i of inputs) node.string(1, i);
    node.string(2, output).string(3, `${opType}_${this.counter++}`).string(4, opType);
    for (const [name, attr] of Object.entries(attrs)) node.message(5, attribute(name, attr));
    this.nodes.push(node);
    return output;
  }

  weight(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push(floatTensor(name, dims, data));
    return name;
  }

  /** A shared int64 constant; repeated calls with the same name reuse the first. */
  ints(name: string, data: number[]): string {
    return this.constant(name, () => int64Tensor(name, [data.length], data));
  }

  /** A shared float scalar constant. */
  scalar(name: string, value: number): string {
    return this.constant(name, () => floatTensor(name, [], Float32Array.of(value)));
  }

  private readonly constants = new Set<string>();

  private constant(name: string, make: () => ProtoWriter): string {
    if (!this.constants.has(name)) {
      this.constants.add(name);
      this.initializers.push(make());
    }
    return name;
  }
}

// ---------------------------------------------------------------------------------------------
// BERT layers
// ---------------------------------------------------------------------------------------------

/** LayerNorm with gamma = 1 and beta = 0, as a freshly initialised BERT has. */
function layerNorm(g: GraphBuilder, x: string, prefix: string): string {
  const { hidden } = g.shape;
  const gamma = g.weight(`${prefix}.weight`, [hidden], new Float32Array(hidden).fill(1));
  const beta = g.weight(`${prefix}.bias`, [hidden], new Float32Array(hidden));
  return g.op('LayerNormalization', [x, gamma, beta], {
    axis: { kind: 'int', value: -1 },
    epsilon: { kind: 'float', value: LAYER_NORM_EPS },
  });
}

/** x @ W + b, with W stored [in, out] as ONNX MatMul expects. */
function linear(
  g: GraphBuilder,
  rand: () => number,
  x: string,
  prefix: string,
  inDim: number,
  outDim: number,
): string {
  const w = g.weight(`${prefix}.weight`, [inDim, outDim], randomTensor(rand, inDim * outDim, 0.15));
  const b = g.weight(`${prefix}.bias`, [outDim], randomTensor(rand, outDim, 0.02));
  return g.op('Add', [g.op('MatMul', [x, w]), b]);
}

/** Sum of word, position and token-type embeddings, then LayerNorm. */
function embeddings(g: GraphBuilder, rand: () => number, vocabSize: number): string {
  const { hidden, maxPositions } = g.shape;
  // Word vectors dominate so that texts sharing words get similar mean-pooled embeddings.
  const word = g.weight(
    'embeddings.word_embeddings.weight',
    [vocabSize, hidden],
    randomTensor(rand, vocabSize * hidden, 1),
  );
  const pos = g.weight(
    'embeddings.position_embeddings.weight',
    [maxPositions, hidden],
    randomTensor(rand, maxPositions * hidden, 0.1),
  );
  const type = g.weight(
    'embeddings.token_type_embeddings.weight',
    [TYPE_VOCAB, hidden],
    randomTensor(rand, TYPE_VOCAB * hidden, 0.1),
  );
  // Position rows 0..seq-1: slice the table up to Shape(input_ids)[1].
  const seqLen = g.op('Shape', ['input_ids'], {
    start: { kind: 'int', value: 1 },
    end: { kind: 'int', value: 2 },
  });
  const positions = g.op('Slice', [
    pos,
    g.ints('const.zero1', [0]),
    seqLen,
    g.ints('const.axis0', [0]),
  ]);
  const words = g.op('Gather', [word, 'input_ids'], { axis: { kind: 'int', value: 0 } });
  const types = g.op('Gather', [type, 'token_type_ids'], { axis: { kind: 'int', value: 0 } });
  const sum = g.op('Add', [g.op('Add', [words, positions]), types]);
  return layerNorm(g, sum, 'embeddings.LayerNorm');
}

/** attention_mask [B, S] int64 -> additive mask [B, 1, 1, S]: 0 where attended, -10000 where padded. */
function additiveMask(g: GraphBuilder): string {
  const mask = g.op('Cast', ['attention_mask'], { to: { kind: 'int', value: ONNX_FLOAT } });
  const expanded = g.op('Unsqueeze', [mask, g.ints('const.axes12', [1, 2])]);
  const inverted = g.op('Sub', [g.scalar('const.one', 1), expanded]);
  return g.op('Mul', [inverted, g.scalar('const.mask_value', -10000)]);
}

/** [B, S, H] -> [B, heads, S, d] (or [B, heads, d, S] for keys, ready for Q @ K^T). */
function splitHeads(g: GraphBuilder, x: string, transposeForKeys: boolean): string {
  const { hidden, heads } = g.shape;
  const shape = g.ints('const.heads_shape', [0, 0, heads, hidden / heads]);
  const reshaped = g.op('Reshape', [x, shape]);
  const perm = transposeForKeys ? [0, 2, 3, 1] : [0, 2, 1, 3];
  return g.op('Transpose', [reshaped], { perm: { kind: 'ints', value: perm } });
}

/** [B, heads, S, d] -> [B, S, H]. */
function mergeHeads(g: GraphBuilder, x: string): string {
  const transposed = g.op('Transpose', [x], { perm: { kind: 'ints', value: [0, 2, 1, 3] } });
  return g.op('Reshape', [transposed, g.ints('const.merge_shape', [0, 0, g.shape.hidden])]);
}

function selfAttention(
  g: GraphBuilder,
  rand: () => number,
  x: string,
  mask: string,
  prefix: string,
): string {
  const { hidden, heads } = g.shape;
  const q = splitHeads(g, linear(g, rand, x, `${prefix}.query`, hidden, hidden), false);
  const k = splitHeads(g, linear(g, rand, x, `${prefix}.key`, hidden, hidden), true);
  const v = splitHeads(g, linear(g, rand, x, `${prefix}.value`, hidden, hidden), false);
  const scores = g.op('Mul', [
    g.op('MatMul', [q, k]),
    g.scalar('const.attention_scale', 1 / Math.sqrt(hidden / heads)),
  ]);
  const probs = g.op('Softmax', [g.op('Add', [scores, mask])], {
    axis: { kind: 'int', value: -1 },
  });
  return mergeHeads(g, g.op('MatMul', [probs, v]));
}

/** GELU, erf form: x * 0.5 * (1 + erf(x / sqrt(2))). */
function gelu(g: GraphBuilder, x: string): string {
  const scaled = g.op('Div', [x, g.scalar('const.sqrt2', Math.SQRT2)]);
  const onePlusErf = g.op('Add', [g.op('Erf', [scaled]), g.scalar('const.one', 1)]);
  return g.op('Mul', [g.op('Mul', [x, onePlusErf]), g.scalar('const.half', 0.5)]);
}

function encoderLayer(
  g: GraphBuilder,
  rand: () => number,
  x: string,
  mask: string,
  index: number,
): string {
  const prefix = `encoder.layer.${index}`;
  const { hidden, intermediate } = g.shape;
  const attended = selfAttention(g, rand, x, mask, `${prefix}.attention.self`);
  const attnOut = linear(g, rand, attended, `${prefix}.attention.output.dense`, hidden, hidden);
  const h1 = layerNorm(g, g.op('Add', [attnOut, x]), `${prefix}.attention.output.LayerNorm`);
  const inter = gelu(g, linear(g, rand, h1, `${prefix}.intermediate.dense`, hidden, intermediate));
  const ffnOut = linear(g, rand, inter, `${prefix}.output.dense`, intermediate, hidden);
  return layerNorm(g, g.op('Add', [ffnOut, h1]), `${prefix}.output.LayerNorm`);
}

function buildModelProto(shape: BertShape, vocabSize: number): Uint8Array {
  const rand = mulberry32(SEED);
  const g = new GraphBuilder(shape);
  const mask = additiveMask(g);
  let hidden = embeddings(g, rand, vocabSize);
  for (let i = 0; i < shape.layers; i++) hidden = encoderLayer(g, rand, hidden, mask, i);
  g.op('Identity', [hidden], {}, 'last_hidden_state');

  const graph = new ProtoWriter();
  for (const n of g.nodes) graph.message(1, n);
  graph.string(2, 'tiny_bert');
  for (const t of g.initializers) graph.message(5, t);
  for (const name of ['input_ids', 'attention_mask', 'token_type_ids']) {
    graph.message(11, valueInfo(name, ONNX_INT64, ['batch_size', 'sequence_length']));
  }
  graph.message(
    12,
    valueInfo('last_hidden_state', ONNX_FLOAT, ['batch_size', 'sequence_length', shape.hidden]),
  );

  return new ProtoWriter()
    .varint(1, 8) // ir_version 8 (ONNX 1.10+, pairs with opset 17)
    .string(2, 'mcpo-tiny-bert-fixture')
    .string(3, FIXTURE_VERSION)
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').varint(2, 17))
    .finish();
}

// ---------------------------------------------------------------------------------------------
// Tokenizer and configs
// ---------------------------------------------------------------------------------------------

const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

const SHOPPING_WORDS = `
a an the and or of to in on for with by from at as is are was be it this that these those
not no yes can will may your you our we they its has have had do does all any each more most
new best top high low small large big long short light heavy soft hard warm cold hot dry wet
black white red blue green yellow pink purple brown gray grey silver gold orange clear
price sale deal free shipping order buy sell cart shop store brand product item items review
reviews rating stars quality size sizes color colors style fit wear use used set pack pair
shoe shoes boot boots sneaker sneakers sock socks shirt shirts dress pants jeans jacket coat
hat bag bags handbag wallet watch band strap belt ring necklace bracelet glasses
phone case cover charger cable battery laptop computer keyboard mouse screen camera
headphones speaker tv lamp light bulb switch lever toggle electric power water filter
kitchen cup mug bottle plate bowl knife pan pot coffee tea toy toys game book books kit
baby kids men women girl boy dog cat pet food snack chocolate candy organic natural
cotton leather wool steel plastic wood glass metal rubber paper
inch inches cm mm oz lb kg ml count piece pieces
up down left right front back top side inside outside home office garden outdoor travel
wash clean care hold carry close open easy fast quick simple safe strong durable comfortable
personal multiple designed made fits works great good nice perfect
what which how why when where who one two three four five six seven eight nine ten
`;

const SUFFIX_PIECES = [
  's',
  'es',
  'ed',
  'ing',
  'er',
  'ers',
  'est',
  'ly',
  'y',
  'ion',
  'able',
  'ness',
  'ful',
  'less',
];
const PUNCTUATION = [...'.,!?;:\'"()[]{}-_/\\&%$#@*+=<>|~`^'];
const LETTERS = [...'abcdefghijklmnopqrstuvwxyz'];
const DIGITS = [...'0123456789'];

/** Specials first (ids 0-4), then words, punctuation, digits, letters and ## pieces. */
function buildVocab(size: number): string[] {
  const words = SHOPPING_WORDS.split(/\s+/).filter((w) => w.length > 0);
  const ordered = [
    ...SPECIAL_TOKENS,
    ...words,
    ...PUNCTUATION,
    ...DIGITS,
    ...LETTERS,
    // ## pieces for suffixes, letters and digits let WordPiece spell any ASCII word without [UNK].
    ...SUFFIX_PIECES.map((s) => `##${s}`),
    ...LETTERS.map((l) => `##${l}`),
    ...DIGITS.map((d) => `##${d}`),
  ];
  const vocab = [...new Set(ordered)];
  for (let i = 0; vocab.length < size; i++) vocab.push(`[unused${i}]`);
  return vocab;
}

function tokenizerJson(vocab: string[]): unknown {
  const id = (token: string): number => vocab.indexOf(token);
  const special = (token: string): { id: string; type_id: number } => ({ id: token, type_id: 0 });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content) => ({
      id: id(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: special('[CLS]') },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: special('[SEP]') },
      ],
      pair: [
        { SpecialToken: special('[CLS]') },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: special('[SEP]') },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: Object.fromEntries(
        ['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }]),
      ),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, i) => [token, i])),
    },
  };
}

function tokenizerConfigJson(shape: BertShape): unknown {
  return {
    clean_up_tokenization_spaces: true,
    cls_token: '[CLS]',
    do_lower_case: true,
    mask_token: '[MASK]',
    model_max_length: shape.maxPositions,
    pad_token: '[PAD]',
    sep_token: '[SEP]',
    strip_accents: null,
    tokenize_chinese_chars: true,
    tokenizer_class: 'BertTokenizer',
    unk_token: '[UNK]',
  };
}

function configJson(shape: BertShape, vocabSize: number): unknown {
  return {
    _name_or_path: FIXTURE_VERSION,
    architectures: ['BertModel'],
    model_type: 'bert',
    attention_probs_dropout_prob: 0.1,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: shape.hidden,
    initializer_range: 0.02,
    intermediate_size: shape.intermediate,
    layer_norm_eps: LAYER_NORM_EPS,
    max_position_embeddings: shape.maxPositions,
    num_attention_heads: shape.heads,
    num_hidden_layers: shape.layers,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
    type_vocab_size: TYPE_VOCAB,
    vocab_size: vocabSize,
  };
}

/** The sentence-transformers module list: Transformer -> mean Pooling -> Normalize. */
function sentenceTransformerFiles(shape: BertShape): Record<string, unknown> {
  return {
    'modules.json': [
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
    ],
    'sentence_bert_config.json': { max_seq_length: shape.maxPositions, do_lower_case: false },
    '1_Pooling/config.json': {
      word_embedding_dimension: shape.hidden,
      pooling_mode_cls_token: false,
      pooling_mode_mean_tokens: true,
      pooling_mode_max_tokens: false,
      pooling_mode_mean_sqrt_len_tokens: false,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Writing the folder
// ---------------------------------------------------------------------------------------------

function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}

/** Every file of the fixture, relative path -> bytes (generated in memory, ~10 ms). */
export function tinyBertFixtureFiles(shape: BertShape = TINY_BERT): Map<string, Uint8Array> {
  const vocab = buildVocab(shape.vocabSize);
  const files = new Map<string, Uint8Array>([
    ['config.json', jsonBytes(configJson(shape, vocab.length))],
    ['tokenizer.json', jsonBytes(tokenizerJson(vocab))],
    ['tokenizer_config.json', jsonBytes(tokenizerConfigJson(shape))],
    ['onnx/model.onnx', buildModelProto(shape, vocab.length)],
  ]);
  for (const [name, value] of Object.entries(sentenceTransformerFiles(shape)))
    files.set(name, jsonBytes(value));
  files.set(MARKER_FILE, new TextEncoder().encode(`${FIXTURE_VERSION}\n`));
  return files;
}

function sameBytes(file: string, expected: Uint8Array): boolean {
  try {
    return Buffer.from(expected).equals(fs.readFileSync(file));
  } catch {
    return false;
  }
}

/**
 * Writes the fixture model into `dir` (created if needed) and returns `dir`. Files already
 * holding the right bytes are left alone, so repeated or concurrent builds are cheap; changed
 * files are replaced atomically (temp file + rename) so a concurrent reader never sees half a file.
 */
export function buildTinyBertFixture(dir: string, shape: BertShape = TINY_BERT): string {
  const root = path.resolve(dir);
  for (const [relative, bytes] of tinyBertFixtureFiles(shape)) {
    const target = path.join(root, relative);
    if (!sameBytes(target, bytes)) writeFileAtomic(target, bytes);
  }
  return root;
}

// Runnable as a script (out/test/support/tinyBertFixture.js); bundled into another entry point it stays a library.
if (require.main === module && /tinyBertFixture\.js$/.test(require.main.filename)) {
  const target = process.argv[2];
  if (!target) {
    console.error('usage: node tinyBertFixture.js <output-folder>');
    process.exit(2);
  }
  const started = performance.now();
  const folder = buildTinyBertFixture(target);
  console.log(`tiny BERT fixture in ${folder} (${(performance.now() - started).toFixed(0)} ms)`);
}
