/**
 * The parts of kuromoji's IPA dictionary that MeCab's lookup and Viterbi need (the double-array
 * trie, each surface form's word entries, the unknown-word entries per character category and
 * the connection matrix), kept as flat typed arrays in one compact cache file.
 *
 * kuromoji's own loader gunzips every file, concatenates buffers, and keeps the part-of-speech
 * strings and a JS object per surface form: about a second and ~275 MB, for data that fits in
 * ~18 MB of typed arrays. So the dictionary is read through kuromoji once per machine (per
 * kuromoji version and cache format), written to `<model cache>/dictionaries/`, and every later
 * load is one file read plus typed-array views.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as Kuromoji from 'kuromoji';
import { defaultModelCacheDir } from '../../models/modelCache';
import { writeFileAtomic } from '../../util/writeFileAtomic';

/** Bump when the layout of the cache file (or what is extracted into it) changes. */
export const DICTIONARY_FORMAT_VERSION = 1;

const MAGIC = 0x4a4f504d; // "MPOJ" little-endian: an MCPO Japanese dictionary
const HEADER_INTS = 12;

/** A dictionary or unknown-word entry: connection ids and word cost. */
export interface Entry {
  leftId: number;
  rightId: number;
  cost: number;
}

/** The compact dictionary: what `japaneseTokenizer.ts` reads, nothing more. */
export interface CompactDictionary {
  /** kuromoji's double-array trie over UTF-8 bytes (doublearray's BASE and CHECK). */
  base: Int32Array;
  check: Int32Array;
  /** Entries of trie id t are triples wordEntries[3*i .. 3*i+2] for i in [wordStart[t], wordStart[t+1]). */
  wordStart: Int32Array;
  /** leftId, rightId, cost per entry. */
  wordEntries: Int16Array;
  /** Same layout, indexed by character category. */
  unknownStart: Int32Array;
  unknownEntries: Int16Array;
  /** kuromoji's ConnectionCosts buffer: [forward dim, backward dim, matrix...]. */
  connectionCosts: Int16Array;
}

// --- building from kuromoji (once) ---

interface ShortReader {
  getShort(index: number): number;
}
interface EntryTable {
  dictionary: ShortReader;
  target_map: Record<number, readonly number[] | undefined>;
}
interface TrieBuffers {
  bc: { getBaseBuffer(): Int32Array; getCheckBuffer(): Int32Array };
}

function field(obj: unknown, key: string): unknown {
  return typeof obj === 'object' && obj !== null
    ? (obj as Record<string, unknown>)[key]
    : undefined;
}

function hasMethod(obj: unknown, name: string): boolean {
  return typeof field(obj, name) === 'function';
}

function asEntryTable(obj: unknown, what: string): EntryTable {
  if (
    !hasMethod(field(obj, 'dictionary'), 'getShort') ||
    typeof field(obj, 'target_map') !== 'object'
  ) {
    throw new Error(`kuromoji ${what} has an unexpected shape`);
  }
  return obj as EntryTable;
}

function asTrieBuffers(obj: unknown): TrieBuffers {
  const bc = field(obj, 'bc');
  if (!hasMethod(bc, 'getBaseBuffer') || !hasMethod(bc, 'getCheckBuffer'))
    throw new Error('kuromoji trie has an unexpected shape');
  return obj as TrieBuffers;
}

/** Flattens kuromoji's `target_map` (key -> token offsets) into start offsets + entry triples. */
function flattenEntries(
  table: EntryTable,
  keyCount: number,
): { start: Int32Array; entries: Int16Array } {
  const start = new Int32Array(keyCount + 1);
  let total = 0;
  for (let key = 0; key < keyCount; key++) {
    start[key] = total;
    total += table.target_map[key]?.length ?? 0;
  }
  start[keyCount] = total;
  const entries = new Int16Array(total * 3);
  let at = 0;
  for (let key = 0; key < keyCount; key++) {
    for (const id of table.target_map[key] ?? []) {
      entries[at++] = table.dictionary.getShort(id);
      entries[at++] = table.dictionary.getShort(id + 2);
      entries[at++] = table.dictionary.getShort(id + 4);
    }
  }
  return { start, entries };
}

function maxKey(map: Record<number, unknown>): number {
  let max = -1;
  for (const key of Object.keys(map)) max = Math.max(max, Number(key));
  return max;
}

async function buildKuromoji(
  dicPath: string,
): Promise<Kuromoji.Tokenizer<Kuromoji.IpadicFeatures>> {
  // Loaded only to build the cache: a load from the cache never needs kuromoji's code.
  const loaded: typeof Kuromoji & { default?: typeof Kuromoji } = await import('kuromoji');
  const kuromoji = loaded.default ?? loaded;
  return new Promise((resolve, reject) => {
    kuromoji
      .builder({ dicPath })
      .build((err, tokenizer) => (err ? reject(err) : resolve(tokenizer)));
  });
}

/** The MeCab-relevant data of kuromoji's dictionary, read through kuromoji's own loader. */
export async function compactFromKuromoji(
  dicPath: string,
  categoryCount: number,
): Promise<CompactDictionary> {
  const tokenizer = await buildKuromoji(dicPath);
  const trie = asTrieBuffers(tokenizer.viterbi_builder.trie);
  const words = asEntryTable(tokenizer.token_info_dictionary, 'token dictionary');
  const unknown = asEntryTable(tokenizer.unknown_dictionary, 'unknown-word dictionary');
  const wordTable = flattenEntries(words, maxKey(words.target_map) + 1);
  const unknownTable = flattenEntries(unknown, categoryCount);
  for (let c = 0; c < categoryCount; c++) {
    if (unknownTable.start[c] === unknownTable.start[c + 1])
      throw new Error('kuromoji unknown-word dictionary lacks a char.def category');
  }
  const costs: unknown = tokenizer.viterbi_searcher.connection_costs;
  const costBuffer = field(costs, 'buffer');
  if (!(costBuffer instanceof Int16Array))
    throw new Error('kuromoji connection costs have an unexpected shape');
  return {
    base: trie.bc.getBaseBuffer().slice(),
    check: trie.bc.getCheckBuffer().slice(),
    wordStart: wordTable.start,
    wordEntries: wordTable.entries,
    unknownStart: unknownTable.start,
    unknownEntries: unknownTable.entries,
    connectionCosts: costBuffer.slice(),
  };
}

// --- the cache file ---

type Section = Int32Array | Int16Array;
const SECTIONS = [
  ['base', Int32Array],
  ['check', Int32Array],
  ['wordStart', Int32Array],
  ['wordEntries', Int16Array],
  ['unknownStart', Int32Array],
  ['unknownEntries', Int16Array],
  ['connectionCosts', Int16Array],
] as const;

const align4 = (n: number): number => (n + 3) & ~3;

/** Header: magic, format version, element count of each section; then the sections, 4-aligned. */
export function serializeDictionary(dict: CompactDictionary): Uint8Array<ArrayBuffer> {
  const headerBytes = HEADER_INTS * 4;
  let size = headerBytes;
  for (const [name] of SECTIONS) size += align4(dict[name].byteLength);
  const out = new Uint8Array(size);
  const header = new Int32Array(out.buffer, 0, HEADER_INTS);
  header[0] = MAGIC;
  header[1] = DICTIONARY_FORMAT_VERSION;
  let at = headerBytes;
  SECTIONS.forEach(([name], i) => {
    const section: Section = dict[name];
    header[2 + i] = section.length;
    out.set(new Uint8Array(section.buffer, section.byteOffset, section.byteLength), at);
    at += align4(section.byteLength);
  });
  return out;
}

/** The dictionary in `bytes`, or undefined when they are not a complete cache of this format. */
export function deserializeDictionary(
  bytes: Uint8Array<ArrayBuffer>,
): CompactDictionary | undefined {
  const headerBytes = HEADER_INTS * 4;
  if (bytes.byteLength < headerBytes || bytes.byteOffset % 4 !== 0) return undefined;
  const header = new Int32Array(bytes.buffer, bytes.byteOffset, HEADER_INTS);
  if (header[0] !== MAGIC || header[1] !== DICTIONARY_FORMAT_VERSION) return undefined;
  let at = headerBytes;
  const parts: Partial<Record<(typeof SECTIONS)[number][0], Section>> = {};
  for (let i = 0; i < SECTIONS.length; i++) {
    const [name, Kind] = SECTIONS[i];
    const length = header[2 + i];
    const byteLength = length * Kind.BYTES_PER_ELEMENT;
    if (length < 0 || at + byteLength > bytes.byteLength) return undefined;
    parts[name] = new Kind(bytes.buffer, bytes.byteOffset + at, length);
    at += align4(byteLength);
  }
  if (at !== bytes.byteLength) return undefined;
  return parts as CompactDictionary;
}

/** Reads a whole file into a fresh, 4-byte-aligned buffer (typed-array views need alignment). */
function readAligned(file: string): Uint8Array<ArrayBuffer> {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const bytes = new Uint8Array(new ArrayBuffer(size));
    let read = 0;
    while (read < size) {
      const n = fs.readSync(fd, bytes, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return read === size ? bytes : bytes.subarray(0, read);
  } finally {
    fs.closeSync(fd);
  }
}

export interface DictionaryCacheOptions {
  /** Folder of cache files; default `<model cache>/dictionaries` (MCPO_MODEL_CACHE honoured). */
  cacheDir?: string;
  /** kuromoji's dictionary folder; default the installed package's `dict`. */
  dicPath?: string;
  /** Names the dictionary data in the file name; default the installed kuromoji version. */
  dictionaryVersion?: string;
  categoryCount: number;
  /** Builds the dictionary when the cache cannot serve it; default: through kuromoji. */
  build?: () => Promise<CompactDictionary>;
}

function kuromojiPackageDir(): string {
  // Resolved from the package so it also works when this module is bundled elsewhere.
  return path.dirname(require.resolve('kuromoji/package.json'));
}

function kuromojiVersion(): string {
  const pkg = JSON.parse(
    fs.readFileSync(path.join(kuromojiPackageDir(), 'package.json'), 'utf8'),
  ) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

/** Where the cache for this dictionary version and format lives. */
export function dictionaryCacheFile(
  options: Pick<DictionaryCacheOptions, 'cacheDir' | 'dictionaryVersion'>,
): string {
  const dir = options.cacheDir ?? path.join(defaultModelCacheDir(), 'dictionaries');
  const version = (options.dictionaryVersion ?? kuromojiVersion()).replace(/[^\w.-]/g, '_');
  return path.join(dir, `kuromoji-ipadic-${version}.format${DICTIONARY_FORMAT_VERSION}.bin`);
}

/**
 * The compact dictionary from its cache file, built through kuromoji and written there first when
 * the file is missing, damaged or from another format. A cache that cannot be written (read-only
 * home) costs only the speed-up: the built dictionary is still returned.
 */
export async function loadCompactDictionary(
  options: DictionaryCacheOptions,
): Promise<{ dictionary: CompactDictionary; built: boolean; file: string }> {
  const file = dictionaryCacheFile(options);
  try {
    const cached = deserializeDictionary(readAligned(file));
    if (cached) return { dictionary: cached, built: false, file };
  } catch {
    // Missing or unreadable: build it below.
  }
  const dictionary = await (
    options.build ??
    (() =>
      compactFromKuromoji(
        options.dicPath ?? path.join(kuromojiPackageDir(), 'dict'),
        options.categoryCount,
      ))
  )();
  try {
    writeFileAtomic(file, serializeDictionary(dictionary));
  } catch {
    // Not fatal: the next load builds it again.
  }
  return { dictionary, built: true, file };
}
