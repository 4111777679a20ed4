/**
 * The BLEU metric exactly as the official ShopBench scorer computes it: sacrebleu 2.4.1's
 * `corpus_bleu([hypothesis], [[reference]], lowercase=True)` with its defaults (13a tokenizer,
 * "exp" smoothing, maximum n-gram order 4), divided by 100.
 *
 * Bit-exactness matters because the scorer's quirks define the score: an exact match gives
 * 1.0000000000000004 (exp(log(100)) overshoots 100), and a hypothesis of fewer than 4 tokens
 * scores 0 because the missing 4-gram precision is fed to `my_log` as 0.0. The floating-point
 * operations below are performed in the same order as sacrebleu's so the doubles agree.
 */
import { isPySpace, pyLower, pyStripChars } from '../python/pythonText';

/** sacrebleu's MAX_NGRAM_ORDER. */
const MAX_NGRAM_ORDER = 4;

/** What sacrebleu's `my_log` returns for 0.0 instead of raising (utils.py). */
const LOG_OF_ZERO = -9999999999;

/** A tokenizer maps one (lower-cased, right-stripped) segment to space-separated tokens. */
export type BleuTokenizer = (line: string) => string;

/** sacrebleu's sufficient statistics for one hypothesis against one reference. */
export interface BleuStatistics {
  /** Matched n-grams per order (clipped by the reference counts). */
  counts: number[];
  /** Hypothesis n-grams per order. */
  totals: number[];
  sys_len: number;
  ref_len: number;
}

/** What sacrebleu's `BLEUScore` exposes. */
export interface BleuScore extends BleuStatistics {
  /** 0..100 (can exceed 100 by rounding: 100.00000000000004 for an exact match). */
  score: number;
  precisions: number[];
  bp: number;
}

// --- 13a tokenizer (sacrebleu tokenizers/tokenizer_13a.py + tokenizer_re.py) ---
//
// sacrebleu runs four global regular-expression replacements over ` line `, then splits at
// Python whitespace:
//   1. ([\x7b-\x7e\x5b-\x60\x20-\x26\x28-\x2b\x3a-\x40\x2f]) -> ' $1 '   (mteval-v13a punctuation)
//   2. ([^0-9])([.,])  -> '$1 $2 '
//   3. ([.,])([^0-9])  -> ' $1 $2'
//   4. ([0-9])(-)      -> '$1 $2 '
// The passes only insert spaces, so every token is a run of the line's own characters, and where
// the spaces go follows from each character's neighbours in the line (digits, periods and
// commas, dashes are all ASCII, so matching UTF-16 units is matching code points):
// - pass 1 makes each of its punctuation characters a token of its own;
// - pass 4: a dash right after a digit is a token of its own (passes 2-3 only insert spaces next
//   to a period or comma, so a digit and a dash stay adjacent until pass 4; its matches cannot
//   overlap);
// - passes 2-3 on a run of k periods and commas between a left neighbour l and a right one r
//   (line ends and pass 1's spaces count as non-digits): pass 2 matches (l, 1st) when l is not a
//   digit, then every other one of the run; a character it matched is padded with spaces. Pass
//   3 then pads every period or comma followed by a non-digit: every unpadded one but possibly
//   the last, which is followed by r. So all are tokens of their own except the last when r is a
//   digit and pass 2 left it alone (l a digit and k odd, or l not a digit and k even): it stays
//   joined to r, and, when k = 1, to l as well ("7.1", "1,000").
// The tokenizer below applies these rules in one pass and reports each token as a range of the
// line (no string is built). test/unit/scoring/bleuTokenizer checks it against the regular
// expressions on random text.

/** Pass 1's character class (all ASCII). */
const SPLIT_PUNCTUATION = new Uint8Array(0x80);
for (const [from, to] of [
  [0x7b, 0x7e],
  [0x5b, 0x60],
  [0x20, 0x26],
  [0x28, 0x2b],
  [0x3a, 0x40],
  [0x2f, 0x2f],
])
  for (let c = from; c <= to; c++) SPLIT_PUNCTUATION[c] = 1;

const PERIOD = 0x2e;
const COMMA = 0x2c;
const DASH = 0x2d;

/** What each ASCII character does in a line: one table lookup per character. */
const JOINS = 0;
const SEPARATES = 1;
const STANDS_ALONE = 2;
const PERIOD_OR_COMMA = 3;
const DASH_KIND = 4;
const ASCII_KIND_13A = new Uint8Array(0x80);
/** The same for splitting another tokenizer's output at whitespace only. */
const ASCII_KIND_WHITESPACE = new Uint8Array(0x80);
for (let c = 0; c < 0x80; c++) {
  if (isPySpace(c)) ASCII_KIND_13A[c] = ASCII_KIND_WHITESPACE[c] = SEPARATES;
  else if (SPLIT_PUNCTUATION[c] === 1) ASCII_KIND_13A[c] = STANDS_ALONE;
  else if (c === PERIOD || c === COMMA) ASCII_KIND_13A[c] = PERIOD_OR_COMMA;
  else if (c === DASH) ASCII_KIND_13A[c] = DASH_KIND;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isPeriodOrComma(c: number): boolean {
  return c === PERIOD || c === COMMA;
}

/** What mteval's 13a does before the regular expressions, on the raw line. */
export function unescape13a(line: string): string {
  let s = line;
  if (s.includes('<skipped>')) s = s.replaceAll('<skipped>', '');
  if (s.includes('\n')) s = s.replaceAll('-\n', '').replaceAll('\n', ' ');
  // One unescaping pass, in this order: "&amp;quot;" becomes "&quot;", not '"'.
  if (s.includes('&')) {
    s = s
      .replaceAll('&quot;', '"')
      .replaceAll('&amp;', '&')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>');
  }
  return s;
}

/**
 * The tokens of the last segment split (scratch, read before the next split): token i is
 * line[tokenStart[i], tokenEnd[i]), tokenHash[i] a hash of its units.
 */
let tokenStart: Int32Array = new Int32Array(1024);
let tokenEnd: Int32Array = new Int32Array(1024);
let tokenHash: Int32Array = new Int32Array(1024);
let tokenCount = 0;

/** FNV-1a's offset basis and prime, over UTF-16 units. */
const HASH_START = 0x811c9dc5 | 0;
const HASH_PRIME = 0x01000193;

function addToken(start: number, end: number, hash: number): void {
  if (tokenCount === tokenStart.length) {
    tokenStart = grown(tokenStart);
    tokenEnd = grown(tokenEnd);
    tokenHash = grown(tokenHash);
  }
  tokenStart[tokenCount] = start;
  tokenEnd[tokenCount] = end;
  tokenHash[tokenCount] = hash;
  tokenCount++;
}

/** A token of one character. */
function addUnit(at: number, c: number): void {
  addToken(at, at + 1, Math.imul(HASH_START ^ c, HASH_PRIME));
}

/**
 * Splits `s` into the token scratch arrays and returns the number of tokens: with
 * ASCII_KIND_13A, as the 13a passes and a whitespace split would (`s` already unescaped); with
 * ASCII_KIND_WHITESPACE, at Python whitespace only (another tokenizer's output).
 */
function splitTokens(s: string, asciiKind: Uint8Array): number {
  tokenCount = 0;
  const n = s.length;
  // The token being built: s[start, i), its hash so far; start < 0 when there is none.
  let start = -1;
  let hash = HASH_START;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const kind = c < 0x80 ? asciiKind[c] : isPySpace(c) ? SEPARATES : JOINS;
    if (kind === JOINS || (kind === DASH_KIND && !(i > 0 && isDigit(s.charCodeAt(i - 1))))) {
      if (start < 0) {
        start = i;
        hash = HASH_START;
      }
      hash = Math.imul(hash ^ c, HASH_PRIME);
      continue;
    }
    if (kind !== PERIOD_OR_COMMA) {
      // Whitespace separates; punctuation of pass 1 and a dash after a digit stand alone.
      if (start >= 0) addToken(start, i, hash);
      start = -1;
      if (kind !== SEPARATES) addUnit(i, c);
      continue;
    }
    let k = 1;
    while (i + k < n && isPeriodOrComma(s.charCodeAt(i + k))) k++;
    const leftDigit = i > 0 && isDigit(s.charCodeAt(i - 1));
    const rightDigit = i + k < n && isDigit(s.charCodeAt(i + k));
    // Whether the run's last character stays joined to the digit after it.
    const joined = rightDigit && leftDigit === (k % 2 === 1);
    const padded = joined ? k - 1 : k;
    if (padded > 0 && start >= 0) {
      addToken(start, i, hash);
      start = -1;
    }
    for (let j = 0; j < padded; j++) addUnit(i + j, s.charCodeAt(i + j));
    if (joined) {
      // k = 1: the period joins the token holding the digit before it (start >= 0).
      if (start < 0) {
        start = i + k - 1;
        hash = HASH_START;
      }
      hash = Math.imul(hash ^ s.charCodeAt(i + k - 1), HASH_PRIME);
    }
    i += k - 1;
  }
  if (start >= 0) addToken(start, n, hash);
  return tokenCount;
}

/** The tokens in the scratch arrays, of `s`, joined by single spaces. */
function joinedTokens(s: string, count: number): string {
  const parts: string[] = [];
  for (let t = 0; t < count; t++) parts.push(s.slice(tokenStart[t], tokenEnd[t]));
  return parts.join(' ');
}

/** sacrebleu's default "13a" tokenizer (mteval-v13a.pl's): tokens joined by single spaces. */
export function tokenize13a(line: string): string {
  const s = unescape13a(line);
  return joinedTokens(s, splitTokens(s, ASCII_KIND_13A));
}

// --- statistics (sacrebleu metrics/bleu.py, metrics/helpers.py) ---

/** Python `s.rstrip()`: sacrebleu right-strips every segment before tokenizing it. */
function pyRstrip(s: string): string {
  let end = s.length;
  // Every Python whitespace character is in the BMP, so UTF-16 units can be tested directly.
  while (end > 0 && isPySpace(s.charCodeAt(end - 1))) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** Any UTF-16 unit outside ASCII. */
const NON_ASCII = /[\u0080-\uffff]/;

/** Python's lower(): on ASCII text JavaScript's, without pyLower's look for its exceptions. */
function lower(s: string): string {
  return NON_ASCII.test(s) ? pyLower(s) : s.toLowerCase();
}

/** `BLEU._preprocess_segment`: optional Python lower(), right-strip, tokenize. */
export function preprocessSegment(
  sentence: string,
  tokenize: BleuTokenizer,
  lowercase: boolean,
): string {
  return tokenize(pyRstrip(lowercase ? pyLower(sentence) : sentence));
}

/** murmur3's finalizer: every input bit reaches the low bits that pick a slot. */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A copy of `a` twice as long. */
function grown(a: Int32Array): Int32Array {
  const bigger = new Int32Array(a.length * 2);
  bigger.set(a);
  return bigger;
}

/** Grows an Int32Array scratch buffer to hold n entries (contents are not kept). */
function atLeast(a: Int32Array, n: number): Int32Array {
  return a.length >= n ? a : new Int32Array(Math.max(n, a.length * 2));
}

/**
 * Ids for the tokens and n-grams of one hypothesis/reference pair: a token's id is found by
 * the hash of its UTF-16 units (computed as it was split), an n-gram's by hashing the pair (id of its first n-1 tokens, id of
 * its last token). Tokens and n-grams draw ids from one counter, so equal ids mean equal
 * n-grams of equal order, and ids stay small: counting is indexing an array. Open addressing
 * over typed arrays; a new pair of segments starts a new generation instead of clearing.
 */
/** Entries of the direct n-gram table: references of up to about 60 distinct tokens use it. */
const DIRECT_SIZE = 1 << 15;

class NgramIds {
  private capacity = 1 << 12;
  private slotGen = new Int32Array(this.capacity);
  private slotA = new Int32Array(this.capacity);
  private slotB = new Int32Array(this.capacity);
  private slotId = new Int32Array(this.capacity);
  private generation = 1;
  private used = 0;
  /** The reference's line (tokens are only added from it) and, per token id, where it is there. */
  private reference = '';
  /** The line whose tokens are looked up: the reference, then the hypothesis. */
  segment = '';
  /** The direct n-gram table (see startNgrams), stamped with the generation like the slots. */
  private direct = false;
  private tokenKinds = 0;
  private readonly directGen = new Int32Array(DIRECT_SIZE);
  private readonly directId = new Int32Array(DIRECT_SIZE);
  private tokenAt: Int32Array = new Int32Array(1024);
  private tokenLength: Int32Array = new Int32Array(1024);
  next = 0;

  /** A new pair of segments; the reference's tokens will be read from `reference`. */
  reset(reference: string): void {
    this.generation++;
    this.used = 0;
    this.next = 0;
    this.reference = reference;
    this.segment = reference;
  }

  /**
   * The id of the token segment[start, end), whose units hash to h; when it is new, a new id if
   * `add` (only while the segment is the reference given to reset), else -1.
   */
  token(start: number, end: number, h: number, add: boolean): number {
    const length = end - start;
    // Tokens are keyed by (hash, -1 - id): never equal to an n-gram's key, whose parts are ids.
    for (let slot = this.homeSlot(h, -1); ; slot = (slot + 1) & (this.capacity - 1)) {
      if (this.slotGen[slot] !== this.generation) {
        if (!add) return -1;
        const id = this.next;
        if (id === this.tokenAt.length) {
          this.tokenAt = grown(this.tokenAt);
          this.tokenLength = grown(this.tokenLength);
        }
        this.tokenAt[id] = start;
        this.tokenLength[id] = length;
        return this.claim(slot, h, -1 - id);
      }
      if (this.slotB[slot] < 0 && this.slotA[slot] === h) {
        const id = -1 - this.slotB[slot];
        if (this.tokenLength[id] === length && this.sameUnits(this.tokenAt[id], start, length))
          return id;
      }
    }
  }

  /**
   * Called once the reference's tokens all have ids (and before any n-gram): when every n-gram
   * key (an id below tokens + 3 per reference token, times a token id) fits a small table, n-grams
   * are looked up by indexing it instead of hashing.
   */
  startNgrams(referenceLength: number): void {
    const tokens = this.next;
    this.direct = (tokens + 3 * referenceLength) * tokens <= DIRECT_SIZE;
    this.tokenKinds = tokens;
  }

  /**
   * The id of the n-gram made of the (n-1)-gram `prefix` and the token `last`; when it is new, a
   * new id if `add`, else -1 (also when either part is -1: unknown parts make an unknown n-gram).
   */
  ngram(prefix: number, last: number, add: boolean): number {
    if (prefix < 0 || last < 0) return -1;
    if (this.direct) {
      const key = prefix * this.tokenKinds + last;
      if (this.directGen[key] === this.generation) return this.directId[key];
      if (!add) return -1;
      this.directGen[key] = this.generation;
      return (this.directId[key] = this.next++);
    }
    for (let slot = this.homeSlot(prefix, last); ; slot = (slot + 1) & (this.capacity - 1)) {
      if (this.slotGen[slot] !== this.generation) return add ? this.claim(slot, prefix, last) : -1;
      if (this.slotA[slot] === prefix && this.slotB[slot] === last) return this.slotId[slot];
    }
  }

  /** Where the probe for key (a, b) starts; a token's key (b < 0) hashes by its units' hash alone. */
  private homeSlot(a: number, b: number): number {
    return mix32(a ^ Math.imul(b < 0 ? -1 : b, 0x9e3779b1)) & (this.capacity - 1);
  }

  private claim(slot: number, a: number, b: number): number {
    this.slotGen[slot] = this.generation;
    this.slotA[slot] = a;
    this.slotB[slot] = b;
    const id = this.next++;
    this.slotId[slot] = id;
    if (++this.used * 2 > this.capacity) this.grow();
    return id;
  }

  private sameUnits(at: number, start: number, length: number): boolean {
    const ref = this.reference;
    const s = this.segment;
    for (let i = 0; i < length; i++)
      if (ref.charCodeAt(at + i) !== s.charCodeAt(start + i)) return false;
    return true;
  }

  private grow(): void {
    const { slotGen, slotA, slotB, slotId } = this;
    this.capacity *= 2;
    this.slotGen = new Int32Array(this.capacity);
    this.slotA = new Int32Array(this.capacity);
    this.slotB = new Int32Array(this.capacity);
    this.slotId = new Int32Array(this.capacity);
    for (let s = 0; s < slotGen.length; s++) {
      if (slotGen[s] !== this.generation) continue;
      const a = slotA[s];
      const b = slotB[s];
      let slot = this.homeSlot(a, b);
      while (this.slotGen[slot] === this.generation) slot = (slot + 1) & (this.capacity - 1);
      this.slotGen[slot] = this.generation;
      this.slotA[slot] = a;
      this.slotB[slot] = b;
      this.slotId[slot] = slotId[s];
    }
  }
}

const ids = new NgramIds();
let refGrams: Int32Array = new Int32Array(1024);
let hypGrams: Int32Array = new Int32Array(1024);
let refTokens: Int32Array = new Int32Array(1024);
let hypTokens: Int32Array = new Int32Array(1024);
/** Reference copies per n-gram id still unmatched (zero between uses). */
let remaining: Int32Array = new Int32Array(1 << 12);

/**
 * Tokenizes one segment and returns its token ids in a scratch array and their count. The
 * reference's tokens get ids; a hypothesis token the reference lacks gets -1 (it can match
 * nothing), so only the reference's line is kept.
 */
function segmentTokenIds(
  sentence: string,
  tokenize: BleuTokenizer,
  lowercase: boolean,
  scratch: Int32Array,
  isReference: boolean,
): { ids: Int32Array; count: number } {
  const line = pyRstrip(lowercase ? lower(sentence) : sentence);
  let s: string;
  let count: number;
  if (tokenize === tokenize13a) {
    s = unescape13a(line);
    count = splitTokens(s, ASCII_KIND_13A);
  } else {
    s = tokenize(line);
    count = splitTokens(s, ASCII_KIND_WHITESPACE);
  }
  if (isReference) ids.reset(s);
  else ids.segment = s;
  const out = atLeast(scratch, count);
  for (let t = 0; t < count; t++)
    out[t] = ids.token(tokenStart[t], tokenEnd[t], tokenHash[t], isReference);
  return { ids: out, count };
}

/** The last statistics computed by `countNgrams` (scratch; read before the next call). */
const lastCounts = new Int32Array(MAX_NGRAM_ORDER);
const lastTotals = new Int32Array(MAX_NGRAM_ORDER);
let lastSysLen = 0;
let lastRefLen = 0;

/**
 * sacrebleu's statistics for one hypothesis and one reference, into lastCounts, lastTotals,
 * lastSysLen, lastRefLen. Matched counts are sacrebleu's clipped ones
 * (`_compute_segment_statistics`): every hypothesis n-gram takes one of the reference's
 * remaining copies, which adds up to min(hyp count, ref count) per distinct n-gram.
 */
function countNgrams(hyp: string, ref: string, tokenize: BleuTokenizer, lowercase: boolean): void {
  // `Metric._cache_references` rejects an empty reference before anything else is computed.
  if (ref === '') throw new Error('BLEU: Empty or `None` reference sentence found.');
  const r = segmentTokenIds(ref, tokenize, lowercase, refTokens, true);
  refTokens = r.ids;
  const h = segmentTokenIds(hyp, tokenize, lowercase, hypTokens, false);
  hypTokens = h.ids;
  ids.startNgrams(r.count);
  // Locals: the loops below run for every row, and module variables are slower to reach.
  const refCount = r.count;
  const hypCount = h.count;
  const refIds = r.ids;
  const hypIds = h.ids;
  const refAt = (refGrams = atLeast(refGrams, refCount));
  const hypAt = (hypGrams = atLeast(hypGrams, hypCount));
  for (let i = 0; i < refCount; i++) refAt[i] = refIds[i];
  for (let i = 0; i < hypCount; i++) hypAt[i] = hypIds[i];
  for (let n = 1; n <= MAX_NGRAM_ORDER; n++) {
    if (n > 1) {
      // grams[i] held the (n-1)-gram starting at token i; it becomes the n-gram starting there.
      for (let i = 0; i + n <= refCount; i++)
        refAt[i] = ids.ngram(refAt[i], refIds[i + n - 1], true);
      for (let i = 0; i + n <= hypCount; i++)
        hypAt[i] = ids.ngram(hypAt[i], hypIds[i + n - 1], false);
    }
    if (remaining.length < ids.next)
      remaining = new Int32Array(Math.max(ids.next, remaining.length * 2));
    const left = remaining;
    for (let i = 0; i + n <= refCount; i++) left[refAt[i]]++;
    let correct = 0;
    for (let i = 0; i + n <= hypCount; i++) {
      const g = hypAt[i];
      if (g >= 0 && left[g] > 0) {
        correct++;
        left[g]--;
      }
    }
    for (let i = 0; i + n <= refCount; i++) left[refAt[i]] = 0;
    lastCounts[n - 1] = correct;
    lastTotals[n - 1] = Math.max(0, hypCount - n + 1);
    if (correct === 0) {
      // An n-gram that matches contains an (n-1)-gram that matches: no higher order can match.
      for (let m = n + 1; m <= MAX_NGRAM_ORDER; m++) {
        lastCounts[m - 1] = 0;
        lastTotals[m - 1] = Math.max(0, hypCount - m + 1);
      }
      break;
    }
  }
  lastSysLen = h.count;
  lastRefLen = r.count;
}

/**
 * sacrebleu's statistics for one hypothesis and one reference, both raw (untokenized). With a
 * single reference, the "closest reference length" is simply its length.
 */
export function bleuStatistics(
  hyp: string,
  ref: string,
  tokenize: BleuTokenizer,
  lowercase: boolean,
): BleuStatistics {
  countNgrams(hyp, ref, tokenize, lowercase);
  return {
    counts: [...lastCounts],
    totals: [...lastTotals],
    sys_len: lastSysLen,
    ref_len: lastRefLen,
  };
}
// --- libm-exact exp and log ---
//
// Python's math.exp/math.log call the C library (glibc), whose exp and log are within about
// 0.501 units in the last place: the correctly rounded double except where the exact result
// lies almost halfway between two doubles. V8's Math.exp/Math.log (fdlibm ports) are off by
// one unit far more often (exp(1 - 24/9), a brevity penalty in the parity vectors, is one
// case), which shows in the last digits of the score. So both are evaluated here in
// double-double arithmetic (about 106 bits) and rounded once. Against CPython on Linux this
// differed in about 1 of 1,300 random exp inputs and 1 of 15,000 log inputs (glibc's
// near-halfway misroundings), versus 1 in 10 and 1 in 35 for V8.

/** An unevaluated sum hi + lo with |lo| <= ulp(hi) / 2. */
interface DoubleDouble {
  hi: number;
  lo: number;
}

/** ln 2 as three doubles whose sum carries about 160 bits. */
const LN2_HI = 0.6931471805599453;
const LN2_MID = 2.3190468138462996e-17;
const LN2_LO = 5.707708438416212e-34;
/** Veltkamp's splitter 2^27 + 1. */
const SPLITTER = 134217729;

/** Knuth's error-free addition. */
function twoSum(a: number, b: number): DoubleDouble {
  const hi = a + b;
  const bb = hi - a;
  return { hi, lo: a - (hi - bb) + (b - bb) };
}

/** Error-free addition when |a| >= |b|. */
function quickTwoSum(a: number, b: number): DoubleDouble {
  const hi = a + b;
  return { hi, lo: b - (hi - a) };
}

/** Dekker's error-free product (no fused multiply-add in JavaScript). */
function twoProd(a: number, b: number): DoubleDouble {
  const p = a * b;
  const ca = SPLITTER * a;
  const ah = ca - (ca - a);
  const al = a - ah;
  const cb = SPLITTER * b;
  const bh = cb - (cb - b);
  const bl = b - bh;
  return { hi: p, lo: ah * bh - p + ah * bl + al * bh + al * bl };
}

function ddAdd(a: DoubleDouble, b: DoubleDouble): DoubleDouble {
  const s = twoSum(a.hi, b.hi);
  const t = twoSum(a.lo, b.lo);
  const u = quickTwoSum(s.hi, s.lo + t.hi);
  return quickTwoSum(u.hi, u.lo + t.lo);
}

function ddMul(a: DoubleDouble, b: DoubleDouble): DoubleDouble {
  const p = twoProd(a.hi, b.hi);
  return quickTwoSum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi));
}

function ddDivByDouble(a: DoubleDouble, b: number): DoubleDouble {
  const q1 = a.hi / b;
  const p = twoProd(q1, b);
  const q2 = (a.hi - p.hi - p.lo + a.lo) / b;
  return quickTwoSum(q1, q2);
}

function ddDiv(a: DoubleDouble, b: DoubleDouble): DoubleDouble {
  const q1 = a.hi / b.hi;
  const r = ddAdd(a, ddMul({ hi: -q1, lo: 0 }, b));
  const q2 = r.hi / b.hi;
  const r2 = ddAdd(r, ddMul({ hi: -q2, lo: 0 }, b));
  const q3 = r2.hi / b.hi;
  return ddAdd(quickTwoSum(q1, q2), { hi: q3, lo: 0 });
}

function negate(a: DoubleDouble): DoubleDouble {
  return { hi: -a.hi, lo: -a.lo };
}

/** k * ln 2 in double-double (exact enough for any exponent a double can have). */
function kLn2(k: number): DoubleDouble {
  return ddAdd(ddAdd(twoProd(k, LN2_HI), twoProd(k, LN2_MID)), {
    hi: k * LN2_LO,
    lo: 0,
  });
}

/** Round v * 2^-1074 (v >= 0 given as a double-double) to a subnormal, ties to even. */
function roundToSubnormal(v: DoubleDouble): number {
  let n = Math.floor(v.hi);
  let frac = v.hi - n + v.lo;
  if (frac < 0) {
    n -= 1;
    frac += 1;
  } else if (frac >= 1) {
    n += 1;
    frac -= 1;
  }
  if (frac > 0.5 || (frac === 0.5 && n % 2 === 1)) n += 1;
  return n * Number.MIN_VALUE;
}

/** v * 2^k for a double-double v in [0.5, 2], rounded once. */
function scaleByPowerOfTwo(v: DoubleDouble, k: number): number {
  if (k >= -1020) {
    // v.hi is already v rounded; multiplying by powers of two is exact while the result is
    // normal. 2^k itself overflows past k = 1023, hence two factors.
    const first = Math.min(k, 1000);
    return v.hi * 2 ** first * 2 ** (k - first);
  }
  // Subnormal result: scale to units of 2^-1074 (exactly), then round to an integer once.
  const toUnits = 2 ** (k + 1074);
  return roundToSubnormal({ hi: v.hi * toUnits, lo: v.lo * toUnits });
}

/** exp(r) for |r| <= ln(2)/2 by its Taylor series in Horner form (27 terms reach 2^-120). */
function expReduced(r: DoubleDouble): DoubleDouble {
  let acc: DoubleDouble = { hi: 1, lo: 0 };
  for (let i = 27; i >= 1; i--) acc = ddAdd({ hi: 1, lo: 0 }, ddDivByDouble(ddMul(r, acc), i));
  return acc;
}

/** glibc's `exp` (correctly rounded); Python raises OverflowError where this returns Infinity. */
export function correctlyRoundedExp(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x > 709.8) return Infinity;
  if (x < -745.2) return 0;
  const k = Math.round(x / LN2_HI);
  const r = ddAdd({ hi: x, lo: 0 }, negate(kLn2(k)));
  return scaleByPowerOfTwo(expReduced(r), k);
}

const exponentView = new DataView(new ArrayBuffer(8));

/** x = m * 2^e with m in [sqrt(1/2), sqrt(2)), for finite x > 0. */
function splitExponent(x: number): { m: number; e: number } {
  let e = 0;
  let m = x;
  // Subnormals first become normal so that the exponent field can be read.
  if (m < 2 ** -1022) {
    m *= 2 ** 54;
    e -= 54;
  }
  const view = exponentView;
  view.setFloat64(0, m);
  const biased = (view.getUint16(0) >> 4) & 0x7ff;
  e += biased - 1023;
  // Replace the exponent field with 1023 to get the mantissa in [1, 2).
  view.setUint16(0, (view.getUint16(0) & 0x800f) | (1023 << 4));
  m = view.getFloat64(0);
  if (m > Math.SQRT2) {
    m /= 2;
    e += 1;
  }
  return { m, e };
}

/** log(m) for m in [sqrt(1/2), sqrt(2)] as 2 atanh((m-1)/(m+1)); 24 odd terms reach 2^-120. */
function logReduced(m: number): DoubleDouble {
  const s = ddDiv({ hi: m - 1, lo: 0 }, twoSum(m, 1));
  const s2 = ddMul(s, s);
  let acc = ddDivByDouble({ hi: 1, lo: 0 }, 49);
  for (let j = 23; j >= 0; j--)
    acc = ddAdd(ddDivByDouble({ hi: 1, lo: 0 }, 2 * j + 1), ddMul(s2, acc));
  const half = ddMul(s, acc);
  return { hi: 2 * half.hi, lo: 2 * half.lo };
}

/** glibc's `log` (correctly rounded); Python raises where this returns NaN or -Infinity. */
export function correctlyRoundedLog(x: number): number {
  if (Number.isNaN(x) || x < 0) return Number.NaN;
  if (x === 0) return -Infinity;
  if (x === Infinity) return x;
  const { m, e } = splitExponent(x);
  const sum = ddAdd(kLn2(e), logReduced(m));
  return sum.hi + sum.lo;
}

// --- score (sacrebleu BLEU.compute_bleu with smooth_method="exp", effective_order=False) ---

/**
 * A pure function of one double, remembered: the precisions, ratios and means BLEU feeds to log
 * and exp repeat across rows (counts are small integers), and the double-double evaluation is
 * the costliest step of a row. A direct-mapped table over typed arrays (a colliding value
 * replaces the older one): bounded, and no number is boxed to look it up.
 */
function memoized(
  fn: (x: number) => number,
  size = 1 << 14 /* a power of two */,
): (x: number) => number {
  const keys = new Float64Array(size);
  const values = new Float64Array(size);
  const filled = new Uint8Array(size);
  const bits = new Float64Array(1);
  const words = new Int32Array(bits.buffer);
  return (x) => {
    bits[0] = x;
    const slot = mix32(words[0] ^ Math.imul(words[1], 0x9e3779b1)) & (size - 1);
    // x === keys[slot] also takes -0 for 0: both functions give equal results for them.
    if (filled[slot] === 1 && keys[slot] === x) return values[slot];
    const y = fn(x);
    keys[slot] = x;
    values[slot] = y;
    filled[slot] = 1;
    return y;
  };
}

const memoLog = memoized(correctlyRoundedLog);
const memoExp = memoized(correctlyRoundedExp);

/** sacrebleu's `my_log`: log, except that 0.0 maps to a huge negative number. */
function myLog(x: number): number {
  return x === 0 ? LOG_OF_ZERO : memoLog(x);
}

/** The brevity penalty; a hypothesis with no tokens gets 0.0 rather than a division by zero. */
function brevityPenalty(sysLen: number, refLen: number): number {
  if (sysLen >= refLen) return 1.0;
  return sysLen > 0 ? memoExp(1 - refLen / sysLen) : 0.0;
}

/**
 * n-gram precisions in percent with NIST ("exp") smoothing, into `precisions` (zeroed first):
 * each order with no match gets 100 / (2^k * total) for the k-th such order. An order with no
 * hypothesis n-grams stops the loop and leaves its precision (and all higher ones) at 0.0,
 * which is what zeroes short hypotheses.
 */
function smoothedPrecisions(
  counts: ArrayLike<number>,
  totals: ArrayLike<number>,
  precisions: Float64Array,
): void {
  precisions.fill(0.0);
  let smoothMteval = 1.0;
  for (let n = 0; n < MAX_NGRAM_ORDER; n++) {
    if (totals[n] === 0) break;
    if (counts[n] === 0) {
      smoothMteval *= 2;
      precisions[n] = 100 / (smoothMteval * totals[n]);
    } else {
      // Same association as Python's `100. * correct / total`.
      precisions[n] = (100 * counts[n]) / totals[n];
    }
  }
}

const precisionScratch = new Float64Array(MAX_NGRAM_ORDER);

/**
 * `BLEU.compute_bleu(..., smooth_method='exp').score`, precisions into `precisions`. The sum of
 * the logs is Python's built-in `sum()` of floats from int 0: up to CPython 3.11 a plain
 * left-to-right addition (3.12 switched to compensated summation).
 */
function bleuScore(
  counts: ArrayLike<number>,
  totals: ArrayLike<number>,
  sysLen: number,
  refLen: number,
  precisions: Float64Array,
): number {
  let anyMatch = false;
  for (let n = 0; n < MAX_NGRAM_ORDER; n++) if (counts[n] !== 0) anyMatch = true;
  // "Early stop if there are no matches": the precisions stay 0.0 and so does the score.
  if (!anyMatch) {
    precisions.fill(0.0);
    return 0.0;
  }
  smoothedPrecisions(counts, totals, precisions);
  let logSum = 0;
  for (let n = 0; n < MAX_NGRAM_ORDER; n++) logSum += myLog(precisions[n]);
  return brevityPenalty(sysLen, refLen) * memoExp(logSum / MAX_NGRAM_ORDER);
}

/** `BLEU.compute_bleu(..., smooth_method='exp')` from the sufficient statistics. */
export function computeBleu(stats: BleuStatistics): BleuScore {
  const { counts, totals, sys_len, ref_len } = stats;
  const precisions = new Float64Array(MAX_NGRAM_ORDER);
  const score = bleuScore(counts, totals, sys_len, ref_len, precisions);
  return {
    ...stats,
    score,
    precisions: [...precisions],
    bp: brevityPenalty(sys_len, ref_len),
  };
}

/** sacrebleu's full BLEU result for one hypothesis against one reference. */
export function sentenceBleu(
  hyp: string,
  ref: string,
  tokenize: BleuTokenizer = tokenize13a,
  lowercase = true,
): BleuScore {
  return computeBleu(bleuStatistics(hyp, ref, tokenize, lowercase));
}

/** sacrebleu's BLEU score (0..100 scale) with "exp" smoothing, as `corpus_bleu([hyp], [[ref]])`. */
export function sentenceBleuScore(
  hyp: string,
  ref: string,
  tokenize: BleuTokenizer = tokenize13a,
  lowercase = true,
): number {
  countNgrams(hyp, ref, tokenize, lowercase);
  return bleuScore(lastCounts, lastTotals, lastSysLen, lastRefLen, precisionScratch);
}

/**
 * The line the official scorer actually scores: `generation.lstrip("\n").rstrip("\n").split("\n")[0]`.
 * Only "\n" is stripped, so " \nText" and "\r\nText" leave a blank first line and score 0.
 */
export function officialFirstLine(generation: string): string {
  const stripped = pyStripChars(generation, '\n');
  const newline = stripped.indexOf('\n');
  return newline < 0 ? stripped : stripped.slice(0, newline);
}

/**
 * `calculate_bleu_score(generation, truth)` of the official scorer: lower-cased sacrebleu BLEU of
 * the generation's first line against the whole truth, divided by 100. Pass the Japanese
 * tokenizer for the jp-bleu metric (`is_japanese=True`).
 */
export function officialBleu(
  generation: string,
  truth: string,
  tokenize: BleuTokenizer = tokenize13a,
): number {
  return sentenceBleuScore(officialFirstLine(generation), truth, tokenize, true) / 100;
}
