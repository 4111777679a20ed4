/**
 * CPython string semantics that the official ShopBench scorer depends on.
 *
 * The official parsers and metrics are Python; a JavaScript port that used `trim()`,
 * `parseInt` or `String.length` would score some responses differently. Everything here
 * counts in code points (Python `str` indexing), strips Python's whitespace set and converts
 * integers the way `int(str)` does.
 */
import {
  PY_DECIMAL_RANGES,
  PY_LOWER_EXCEPTIONS,
  PY_NUMERIC_RANGES,
  PY_SPACE,
} from './pythonUnicodeTables';

/** Python's whitespace as a table over the BMP (where all of it is): tokenizers test every character. */
const SPACE = new Uint8Array(0x10000);
for (const cp of PY_SPACE) SPACE[cp] = 1;

/** The start of the [start, end] pair holding cp, or -1 (binary search over sorted pairs). */
function rangeStart(ranges: readonly number[], cp: number): number {
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const start = ranges[mid * 2];
    if (cp < start) hi = mid - 1;
    else if (cp > ranges[mid * 2 + 1]) lo = mid + 1;
    else return start;
  }
  return -1;
}

/** `ch.isspace()` for one code point. */
export function isPySpace(cp: number): boolean {
  return cp < 0x10000 && SPACE[cp] === 1;
}

/** `ch.isnumeric()` for one code point. */
export function isPyNumeric(cp: number): boolean {
  if (cp >= 0x30 && cp <= 0x39) return true;
  return cp >= 0x80 && rangeStart(PY_NUMERIC_RANGES, cp) >= 0;
}

/** The digit value of a code point for which `ch.isdecimal()` holds, or -1. */
export function pyDecimalValue(cp: number): number {
  if (cp >= 0x30 && cp <= 0x39) return cp - 0x30;
  if (cp < 0x80) return -1;
  // Decimal runs count 0..9 from their start (checked by the generator).
  const start = rangeStart(PY_DECIMAL_RANGES, cp);
  return start < 0 ? -1 : (cp - start) % 10;
}

/** The code points of a string (what Python indexes). */
export function codePoints(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) out.push(ch.codePointAt(0)!);
  return out;
}

/** A high surrogate followed by a low one is one code point; a lone surrogate (JSON allows "\ud800") is one too. */
function isSurrogatePair(s: string, i: number): boolean {
  const hi = s.charCodeAt(i);
  if (hi < 0xd800 || hi > 0xdbff) return false;
  const lo = s.charCodeAt(i + 1);
  return lo >= 0xdc00 && lo <= 0xdfff;
}

/** `s[:n]` in Python: the first n code points. */
export function pySliceCodePoints(s: string, n: number): string {
  // Fast path: a string of n UTF-16 units or fewer has at most n code points.
  if (s.length <= n) return s;
  let count = 0;
  let i = 0;
  while (i < s.length && count < n) {
    i += isSurrogatePair(s, i) ? 2 : 1;
    count++;
  }
  return s.slice(0, i);
}

/** The number of code points (Python `len(s)`). */
export function pyLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    if (isSurrogatePair(s, i)) i++;
    n++;
  }
  return n;
}

/** Whether the UTF-16 unit at i starts a Python whitespace code point (all are in the BMP). */
function spaceAt(s: string, i: number): boolean {
  return SPACE[s.charCodeAt(i)] === 1;
}

/** `s.strip()` with no argument. */
export function pyStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && spaceAt(s, a)) a++;
  while (b > a && spaceAt(s, b - 1)) b--;
  return s.slice(a, b);
}

/** `s.lstrip(chars)` / `s.rstrip(chars)` / `s.strip(chars)` with an explicit set of BMP characters. */
export function pyStripChars(
  s: string,
  chars: string,
  side: 'both' | 'left' | 'right' = 'both',
): string {
  let a = 0;
  let b = s.length;
  if (side !== 'right') while (a < b && chars.includes(s[a])) a++;
  if (side !== 'left') while (b > a && chars.includes(s[b - 1])) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** `s.split()` with no argument: runs of Python whitespace separate, empty pieces dropped. */
export function pySplitWhitespace(s: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    if (spaceAt(s, i)) {
      if (start >= 0) {
        out.push(s.slice(start, i));
        start = -1;
      }
    } else if (start < 0) start = i;
  }
  if (start >= 0) out.push(s.slice(start));
  return out;
}

/** The BMP code points whose lower() differs between CPython and JavaScript. */
const LOWER_EXCEPTION = new Uint8Array(0x10000);
for (const cp of PY_LOWER_EXCEPTIONS.keys()) if (cp < 0x10000) LOWER_EXCEPTION[cp] = 1;
const ASTRAL_LOWER_EXCEPTIONS = [...PY_LOWER_EXCEPTIONS.keys()].some((cp) => cp >= 0x10000);

/** Whether `s` may hold a character that lower() treats differently (a surrogate: maybe). */
function hasLowerException(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (LOWER_EXCEPTION[c] === 1) return true;
    if (ASTRAL_LOWER_EXCEPTIONS && c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

/** Code points unassigned in every Unicode version: uncased and not case-ignorable, as CPython sees the exceptions. */
const UNASSIGNED_PLACEHOLDERS = ['\u0378', '\u0379', '\u0380', '\u0381', '\u0382', '\u0383'];

/**
 * `s.lower()`. JavaScript's full case mapping (with the Final_Sigma context rule, which CPython
 * also applies) agrees except on characters newer than CPython's tables; those stay unchanged in
 * CPython. They are swapped for an unassigned placeholder while lowering, so the sigma context
 * around them is judged as CPython judges it, then put back.
 */
export function pyLower(s: string): string {
  if (!hasLowerException(s)) return s.toLowerCase();
  const placeholder = UNASSIGNED_PLACEHOLDERS.find((p) => !s.includes(p));
  if (placeholder === undefined) return s.toLowerCase(); // every placeholder occurs: give up the exceptions
  const replaced: string[] = [];
  let masked = '';
  for (const ch of s) {
    const special = PY_LOWER_EXCEPTIONS.get(ch.codePointAt(0)!);
    if (special === undefined) masked += ch;
    else {
      replaced.push(special);
      masked += placeholder;
    }
  }
  const lowered = masked.toLowerCase();
  if (replaced.length === 0) return lowered;
  let k = 0;
  return lowered
    .split(placeholder)
    .reduce((out, piece, i) => (i === 0 ? piece : out + replaced[k++] + piece), '');
}

/** CPython refuses `int()` of strings with more than this many digits (sys.int_info default). */
export const PY_INT_MAX_STR_DIGITS = 4300;

/**
 * `int(s)` for a base-10 string: surrounding Python whitespace, an optional sign, Unicode decimal
 * digits with single underscores between them. Returns undefined where Python raises ValueError.
 * Values beyond 2^53 lose precision (Python's are exact); they only ever index lists here.
 */
export function pyInt(s: string): number | undefined {
  const t = pyStrip(s);
  let i = 0;
  let sign = 1;
  if (t[0] === '+' || t[0] === '-') {
    sign = t[0] === '-' ? -1 : 1;
    i = 1;
  }
  let value = 0;
  let digits = 0;
  let lastUnderscore = false;
  for (const ch of t.slice(i)) {
    if (ch === '_') {
      if (digits === 0 || lastUnderscore) return undefined;
      lastUnderscore = true;
      continue;
    }
    const d = pyDecimalValue(ch.codePointAt(0)!);
    if (d < 0) return undefined;
    value = value * 10 + d;
    digits++;
    lastUnderscore = false;
  }
  if (digits === 0 || lastUnderscore) return undefined;
  if (digits > PY_INT_MAX_STR_DIGITS) return undefined;
  return sign * value;
}
