/**
 * The tokenizer behind the official scorer's jp-bleu: sacrebleu's "ja-mecab", i.e. MeCab 0.996
 * with the IPA dictionary (mecab-ipadic-2.7.0-20070801) in wakati mode.
 *
 * kuromoji ships the same IPA dictionary (words, costs, connection matrix, unknown-word
 * entries), but its own analyzer does not segment like MeCab. We therefore take only
 * kuromoji's dictionary data and run MeCab's algorithm on it (tokenizer.cpp `lookup`,
 * viterbisub.h `connect`). The kuromoji behaviours this replaces, all of which change tokens:
 *
 * - kuromoji emits whitespace as tokens (and the Viterbi path passes through them); MeCab skips
 *   SPACE-class characters before each word, so the words on both sides connect directly.
 * - kuromoji splits the input after every "、" and "。" and analyzes the pieces separately;
 *   MeCab analyzes the whole line at once.
 * - kuromoji groups unknown words only while the character category name stays the same and
 *   never adds MeCab's 1..LENGTH-character candidates (KANJI, HIRAGANA, KATAKANA); MeCab groups
 *   while consecutive characters share a category bit (so "一" groups with ordinary kanji), caps
 *   groups at 24 extra characters, and adds the short candidates.
 * - kuromoji maps every code point that char.def does not list to SPACE (a bug in its
 *   DEFAULT fallback); MeCab uses DEFAULT. Characters outside the BMP are DEFAULT in MeCab,
 *   because its UTF-8 decoder returns code 0 for them.
 *
 * Checked against real MeCab 0.996 with mecab-ipadic 2.7.0-20070801 (`mecab -Owakati`) on about
 * 38,000 lines (dictionary words mixed with kana, kanji, Latin, full-width, symbols, emoji,
 * whitespace of every kind, unknown runs longer than 24 characters): no differences, where
 * kuromoji's own tokenizer differed on half of them.
 *
 * Known remaining differences (not reproducible from kuromoji's data):
 * - When two different segmentations have exactly the same total cost, MeCab keeps the one
 *   whose nodes come first in its dictionary's token order; kuromoji's token order for a
 *   surface form may differ from MeCab's compiled sys.dic, so such exact ties could resolve
 *   differently. None occurs in the parity vectors.
 */
import {
  loadCompactDictionary,
  type CompactDictionary,
  type DictionaryCacheOptions,
  type Entry,
} from './japaneseDictionary';
import { pyStrip } from '../python/pythonText';

export interface JapaneseTokenizer {
  /** sacrebleu's `TokenizerJaMecab.__call__`: MeCab surface forms joined by single spaces. */
  tokenize(text: string): string;
}

// --- character categories (mecab-ipadic-2.7.0-20070801 char.def) ---

interface CharCategory {
  name: string;
  /** Run unknown-word processing even where the dictionary has a word. */
  invoke: boolean;
  /** Add one unknown word covering the whole run of compatible characters. */
  group: boolean;
  /** Also add unknown words of 1..length characters. */
  length: number;
}

// The index is MeCab's `default_type` and kuromoji's unknown-dictionary class id.
const CATEGORIES: readonly CharCategory[] = [
  { name: 'DEFAULT', invoke: false, group: true, length: 0 },
  { name: 'SPACE', invoke: false, group: true, length: 0 },
  { name: 'KANJI', invoke: false, group: false, length: 2 },
  { name: 'SYMBOL', invoke: true, group: true, length: 0 },
  { name: 'NUMERIC', invoke: true, group: true, length: 0 },
  { name: 'ALPHA', invoke: true, group: true, length: 0 },
  { name: 'HIRAGANA', invoke: false, group: true, length: 2 },
  { name: 'KATAKANA', invoke: true, group: true, length: 2 },
  { name: 'KANJINUMERIC', invoke: true, group: true, length: 0 },
  { name: 'GREEK', invoke: true, group: true, length: 0 },
  { name: 'CYRILLIC', invoke: true, group: true, length: 0 },
];

const categoryIndex = (name: string): number => CATEGORIES.findIndex((c) => c.name === name);

/**
 * char.def's code point mappings in file order; a later line replaces an earlier one outright.
 * Kept as in the 2007 release, including "0x00D0 SPACE" (meant to be 0x000D, so carriage
 * return stays DEFAULT) which the Latin-1 ALPHA line then overrides.
 */
const KANJI_NUMERALS = [
  0x4e00, 0x4e8c, 0x4e09, 0x56db, 0x4e94, 0x516d, 0x4e03, 0x516b, 0x4e5d, 0x5341, 0x767e, 0x5343,
  0x4e07, 0x5104, 0x5146,
];
const CHAR_MAPPINGS: readonly (readonly [number, number, string, ...string[]])[] = [
  [0x0020, 0x0020, 'SPACE'],
  [0x00d0, 0x00d0, 'SPACE'],
  [0x0009, 0x0009, 'SPACE'],
  [0x000b, 0x000b, 'SPACE'],
  [0x000a, 0x000a, 'SPACE'],
  [0x0021, 0x002f, 'SYMBOL'],
  [0x0030, 0x0039, 'NUMERIC'],
  [0x003a, 0x0040, 'SYMBOL'],
  [0x0041, 0x005a, 'ALPHA'],
  [0x005b, 0x0060, 'SYMBOL'],
  [0x0061, 0x007a, 'ALPHA'],
  [0x007b, 0x007e, 'SYMBOL'],
  [0x00a1, 0x00bf, 'SYMBOL'],
  [0x00c0, 0x00ff, 'ALPHA'],
  [0x0100, 0x017f, 'ALPHA'],
  [0x0180, 0x0236, 'ALPHA'],
  [0x1e00, 0x1ef9, 'ALPHA'],
  [0x0400, 0x04f9, 'CYRILLIC'],
  [0x0500, 0x050f, 'CYRILLIC'],
  [0x0374, 0x03fb, 'GREEK'],
  [0x3041, 0x309f, 'HIRAGANA'],
  [0x30a1, 0x30ff, 'KATAKANA'],
  [0x31f0, 0x31ff, 'KATAKANA'],
  [0x30fc, 0x30fc, 'KATAKANA'],
  [0xff66, 0xff9d, 'KATAKANA'],
  [0xff9e, 0xff9f, 'KATAKANA'],
  [0x2e80, 0x2ef3, 'KANJI'],
  [0x2f00, 0x2fd5, 'KANJI'],
  [0x3005, 0x3005, 'KANJI'],
  [0x3007, 0x3007, 'KANJI'],
  [0x3400, 0x4db5, 'KANJI'],
  [0x4e00, 0x9fa5, 'KANJI'],
  [0xf900, 0xfa2d, 'KANJI'],
  [0xfa30, 0xfa6a, 'KANJI'],
  ...KANJI_NUMERALS.map((cp) => [cp, cp, 'KANJINUMERIC', 'KANJI'] as const),
  [0xff10, 0xff19, 'NUMERIC'],
  [0xff21, 0xff3a, 'ALPHA'],
  [0xff41, 0xff5a, 'ALPHA'],
  [0xff01, 0xff0f, 'SYMBOL'],
  [0xff1a, 0xff1f, 'SYMBOL'],
  [0xff3b, 0xff40, 'SYMBOL'],
  [0xff5b, 0xff65, 'SYMBOL'],
  [0xffe0, 0xffef, 'SYMBOL'],
  [0x2000, 0x206f, 'SYMBOL'],
  [0x2070, 0x209f, 'NUMERIC'],
  [0x20a0, 0x20cf, 'SYMBOL'],
  [0x20d0, 0x20ff, 'SYMBOL'],
  [0x2100, 0x214f, 'SYMBOL'],
  [0x2150, 0x218f, 'NUMERIC'],
  [0x2100, 0x214b, 'SYMBOL'],
  [0x2190, 0x21ff, 'SYMBOL'],
  [0x2200, 0x22ff, 'SYMBOL'],
  [0x2300, 0x23ff, 'SYMBOL'],
  [0x2460, 0x24ff, 'SYMBOL'],
  [0x2501, 0x257f, 'SYMBOL'],
  [0x2580, 0x259f, 'SYMBOL'],
  [0x25a0, 0x25ff, 'SYMBOL'],
  [0x2600, 0x26fe, 'SYMBOL'],
  [0x2700, 0x27bf, 'SYMBOL'],
  [0x27f0, 0x27ff, 'SYMBOL'],
  [0x27c0, 0x27ef, 'SYMBOL'],
  [0x2800, 0x28ff, 'SYMBOL'],
  [0x2900, 0x297f, 'SYMBOL'],
  [0x2b00, 0x2bff, 'SYMBOL'],
  [0x2a00, 0x2aff, 'SYMBOL'],
  [0x3300, 0x33ff, 'SYMBOL'],
  [0x3200, 0x32fe, 'SYMBOL'],
  [0x3000, 0x303f, 'SYMBOL'],
  [0xfe30, 0xfe4f, 'SYMBOL'],
  [0xfe50, 0xfe6b, 'SYMBOL'],
  [0x3007, 0x3007, 'SYMBOL', 'KANJINUMERIC'],
];

/** MeCab's CharInfo, split into two tables indexed by UCS-2 code. */
interface CharTable {
  /** Bit set of the categories a character belongs to (bit i = CATEGORIES[i]). */
  types: Uint16Array;
  /** The first category listed for the character: the one its unknown words use. */
  defaults: Uint8Array;
}

function buildCharTable(): CharTable {
  const types = new Uint16Array(0x10000).fill(1 << categoryIndex('DEFAULT'));
  const defaults = new Uint8Array(0x10000).fill(categoryIndex('DEFAULT'));
  for (const [low, high, ...names] of CHAR_MAPPINGS) {
    const ids = names.map(categoryIndex);
    const bits = ids.reduce((acc, id) => acc | (1 << id), 0);
    types.fill(bits, low, high + 1);
    defaults.fill(ids[0], low, high + 1);
  }
  return { types, defaults };
}

const CHAR_TABLE = buildCharTable();
const SPACE_TYPE = CHAR_TABLE.types[0x20];

/** MeCab groups at most this many characters after the first into one unknown word. */
const MAX_GROUPING_SIZE = 24;
/** MeCab looks at most this many bytes ahead from a lattice position. */
const MAX_LOOKAHEAD_BYTES = 65535;
/** MeCab's initial "best cost" in `connect`; a path must cost less to be kept. */
const COST_CEILING = 2147483647;

// --- dictionary data taken from kuromoji (through the compact cache) ---

/** The parts of kuromoji's loaded dictionary that MeCab's algorithm needs. */
interface DictionaryData {
  /** Dictionary words that are prefixes of bytes[begin..end): UTF-8 length and trie id. */
  prefixes(bytes: Uint8Array, begin: number, end: number): { length: number; id: number }[];
  entries(trieId: number): readonly Entry[];
  unknownEntries(category: number): readonly Entry[];
  connectionCost(rightId: number, leftId: number): number;
}

// doublearray's conventions: the root node, "no child", and the end-of-key code.
const TRIE_ROOT = 0;
const TRIE_NOT_FOUND = -1;
const TRIE_TERMINATOR = 0;

/** doublearray's `traverse`: CHECK past the end (or before the start) never names a parent. */
function traverse(dict: CompactDictionary, parent: number, code: number): number {
  const child = dict.base[parent] + code;
  return child >= 0 && child < dict.check.length && dict.check[child] === parent
    ? child
    : TRIE_NOT_FOUND;
}

function trieIdsAt(
  dict: CompactDictionary,
  bytes: Uint8Array,
  begin: number,
  end: number,
): { length: number; id: number }[] {
  const found: { length: number; id: number }[] = [];
  let parent = TRIE_ROOT;
  for (let i = begin; i < end; i++) {
    const child = traverse(dict, parent, bytes[i]);
    if (child === TRIE_NOT_FOUND) break;
    parent = child;
    const leaf = traverse(dict, child, TRIE_TERMINATOR);
    if (leaf === TRIE_NOT_FOUND) continue;
    const base = dict.base[leaf];
    if (base <= 0) found.push({ length: i + 1 - begin, id: -base - 1 });
  }
  return found;
}

function readEntries(start: Int32Array, entries: Int16Array, key: number): Entry[] {
  if (key < 0 || key + 1 >= start.length) return [];
  const out: Entry[] = [];
  for (let i = start[key]; i < start[key + 1]; i++)
    out.push({ leftId: entries[3 * i], rightId: entries[3 * i + 1], cost: entries[3 * i + 2] });
  return out;
}

function dictionaryData(dict: CompactDictionary): DictionaryData {
  const wordCache = new Map<number, Entry[]>();
  const unknownByCategory = CATEGORIES.map((_, id) =>
    readEntries(dict.unknownStart, dict.unknownEntries, id),
  );
  const costs = dict.connectionCosts;
  const backward = costs[1];
  return {
    prefixes: (bytes, begin, end) => trieIdsAt(dict, bytes, begin, end),
    entries(trieId) {
      let list = wordCache.get(trieId);
      if (list === undefined) {
        list = readEntries(dict.wordStart, dict.wordEntries, trieId);
        wordCache.set(trieId, list);
      }
      return list;
    },
    unknownEntries: (category) => unknownByCategory[category],
    connectionCost: (rightId, leftId) => costs[rightId * backward + leftId + 2],
  };
}

// --- MeCab's lattice (tokenizer.cpp, viterbisub.h) ---

interface LatticeNode {
  /** Byte offsets of the surface form (leading spaces excluded). */
  begin: number;
  end: number;
  entry: Entry;
  /** Cheapest path cost from BOS through this node. */
  cost: number;
  prev: LatticeNode | undefined;
}

/** A character as MeCab's `utf8_to_ucs2` sees it: UCS-2 code (0 beyond the BMP) and byte length. */
function charAt(bytes: Uint8Array, at: number, end: number): { code: number; bytes: number } {
  // MeCab reads the string's NUL terminator when it looks one past the end.
  if (at >= end) return { code: 0, bytes: 1 };
  const b0 = bytes[at];
  const left = end - at;
  if (b0 < 0x80) return { code: b0, bytes: 1 };
  if (left >= 2 && (b0 & 0xe0) === 0xc0)
    return { code: ((b0 & 0x1f) << 6) | (bytes[at + 1] & 0x3f), bytes: 2 };
  if (left >= 3 && (b0 & 0xf0) === 0xe0) {
    return {
      code: ((b0 & 0x0f) << 12) | ((bytes[at + 1] & 0x3f) << 6) | (bytes[at + 2] & 0x3f),
      bytes: 3,
    };
  }
  if (left >= 4 && (b0 & 0xf8) === 0xf0) return { code: 0, bytes: 4 };
  return { code: 0, bytes: 1 };
}

interface CharInfo {
  type: number;
  category: number;
  bytes: number;
}

function charInfoAt(bytes: Uint8Array, at: number, end: number): CharInfo {
  const ch = charAt(bytes, at, end);
  return {
    type: CHAR_TABLE.types[ch.code],
    category: CHAR_TABLE.defaults[ch.code],
    bytes: ch.bytes,
  };
}

/**
 * MeCab's `seekToOtherType`: advance while each character shares a category bit with the
 * previous one. Returns where it stopped, the characters passed, and the last CharInfo read.
 * `limit` stops early once the count no longer matters to the caller.
 */
function seekToOtherType(
  bytes: Uint8Array,
  from: number,
  end: number,
  startType: number,
  limit = Infinity,
): { at: number; count: number; last: CharInfo | undefined } {
  let at = from;
  let count = 0;
  let type = startType;
  let last: CharInfo | undefined;
  while (at !== end && count < limit) {
    last = charInfoAt(bytes, at, end);
    if ((type & last.type) === 0) break;
    at += last.bytes;
    count++;
    type = last.type;
  }
  return { at, count, last };
}

/** The candidate nodes MeCab's `lookup` creates at one position, in creation order. */
function lookupNodes(
  dict: DictionaryData,
  bytes: Uint8Array,
  begin: number,
  length: number,
): LatticeNode[] {
  const end = Math.min(length, begin + MAX_LOOKAHEAD_BYTES);
  const nodes: LatticeNode[] = [];
  const add = (from: number, to: number, entries: readonly Entry[]): void => {
    for (const entry of entries)
      nodes.push({ begin: from, end: to, entry, cost: 0, prev: undefined });
  };
  // Skip spaces: they belong to no word, and the word after them starts at begin2.
  const skipped = seekToOtherType(bytes, begin, end, SPACE_TYPE);
  const begin2 = skipped.at;
  // Unreachable (begin < end), but MeCab would read an uninitialized CharInfo here.
  if (skipped.last === undefined) return nodes;
  const info = skipped.last;
  for (const match of dict.prefixes(bytes, begin2, end))
    add(begin2, begin2 + match.length, dict.entries(match.id));
  const category = CATEGORIES[info.category];
  if (nodes.length > 0 && !category.invoke) return nodes;
  // Only trailing spaces remain: MeCab's node would end past the text and never reach EOS.
  if (begin2 + info.bytes > end) return nodes;
  addUnknownNodes(bytes, begin2, end, info, (to) =>
    add(begin2, to, dict.unknownEntries(info.category)),
  );
  return nodes;
}

/** MeCab's unknown-word candidates starting at begin2 (whose first character is `info`). */
function addUnknownNodes(
  bytes: Uint8Array,
  begin2: number,
  end: number,
  info: CharInfo,
  add: (to: number) => void,
): void {
  const category = CATEGORIES[info.category];
  const firstEnd = begin2 + info.bytes;
  let added = false;
  let groupEnd = -1;
  if (category.group) {
    // Past MAX_GROUPING_SIZE the run adds no node and its end lies beyond every short
    // candidate, so there is no need to find it (this keeps long runs linear, not quadratic).
    const run = seekToOtherType(bytes, firstEnd, end, info.type, MAX_GROUPING_SIZE + 1);
    if (run.count <= MAX_GROUPING_SIZE) {
      add(run.at);
      added = true;
    }
    groupEnd = run.at;
  }
  let to = firstEnd;
  for (let i = 1; i <= category.length; i++) {
    if (to > end) break;
    // MeCab `continue`s without advancing here, so every longer candidate is skipped too.
    if (to === groupEnd) continue;
    add(to);
    added = true;
    const next = charInfoAt(bytes, to, end);
    if ((info.type & next.type) === 0) break;
    to += next.bytes;
  }
  if (!added) add(to);
}

/** MeCab's `connect`: the cheapest predecessor, first found wins ties (newest node first). */
function connect(
  dict: DictionaryData,
  node: LatticeNode,
  predecessors: readonly LatticeNode[],
): void {
  let best = COST_CEILING;
  let bestNode: LatticeNode | undefined;
  for (let i = predecessors.length - 1; i >= 0; i--) {
    const left = predecessors[i];
    const cost =
      left.cost + dict.connectionCost(left.entry.rightId, node.entry.leftId) + node.entry.cost;
    if (cost < best) {
      best = cost;
      bestNode = left;
    }
  }
  node.cost = best;
  node.prev = bestNode;
}

const BOS_EOS_ENTRY: Entry = { leftId: 0, rightId: 0, cost: 0 };

/** MeCab's best path over the UTF-8 bytes of one line; returns the surface forms in order. */
function bestPath(dict: DictionaryData, bytes: Buffer): string[] {
  const length = bytes.length;
  const endingAt: (LatticeNode[] | undefined)[] = new Array<LatticeNode[] | undefined>(length + 1);
  const bos: LatticeNode = { begin: 0, end: 0, entry: BOS_EOS_ENTRY, cost: 0, prev: undefined };
  endingAt[0] = [bos];
  for (let pos = 0; pos < length; pos++) {
    const predecessors = endingAt[pos];
    if (predecessors === undefined) continue;
    const candidates = lookupNodes(dict, bytes, pos, length);
    // MeCab prepends each new node to a linked list, so it visits them newest first.
    for (let i = candidates.length - 1; i >= 0; i--) {
      const node = candidates[i];
      connect(dict, node, predecessors);
      (endingAt[node.end] ??= []).push(node);
    }
  }
  const eos: LatticeNode = {
    begin: length,
    end: length,
    entry: BOS_EOS_ENTRY,
    cost: 0,
    prev: undefined,
  };
  for (let pos = length; pos >= 0; pos--) {
    const predecessors = endingAt[pos];
    if (predecessors === undefined) continue;
    connect(dict, eos, predecessors);
    break;
  }
  const surfaces: string[] = [];
  for (let node = eos.prev; node !== undefined && node !== bos; node = node.prev) {
    surfaces.push(bytes.toString('utf8', node.begin, node.end));
  }
  return surfaces.reverse();
}

/** `mecab -Owakati` on one line, as sacrebleu calls it (strip, parse, strip). */
function sacrebleuJaMecab(dict: DictionaryData, line: string): string {
  let text = pyStrip(line);
  // MeCab receives a C string, so a NUL character ends the text.
  const nul = text.indexOf('\0');
  if (nul >= 0) text = text.slice(0, nul);
  const surfaces = bestPath(dict, Buffer.from(text, 'utf8'));
  // MeCab writes "surface " for each word and a newline; sacrebleu strips the result.
  return pyStrip(surfaces.join(' '));
}

let loading: Promise<JapaneseTokenizer> | undefined;

/** The compact dictionary (see japaneseDictionary.ts), with this tokenizer's category count. */
export async function loadJapaneseDictionary(
  options: Omit<DictionaryCacheOptions, 'categoryCount'> = {},
): Promise<CompactDictionary> {
  return (await loadCompactDictionary({ ...options, categoryCount: CATEGORIES.length })).dictionary;
}

/** A tokenizer over an already loaded compact dictionary. */
export function japaneseTokenizerFrom(dict: CompactDictionary): JapaneseTokenizer {
  const data = dictionaryData(dict);
  return { tokenize: (text: string) => sacrebleuJaMecab(data, text) };
}

/**
 * The ja-mecab tokenizer, loaded once per thread on first use: from the compact dictionary cache
 * (one file read), built through kuromoji and cached the first time on a machine.
 */
export function loadJapaneseTokenizer(): Promise<JapaneseTokenizer> {
  loading ??= loadJapaneseDictionary().then(japaneseTokenizerFrom);
  // A failed load is not cached, so a later call can retry.
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}
