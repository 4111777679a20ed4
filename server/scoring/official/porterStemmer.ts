/**
 * NLTK 3.8 `PorterStemmer()` (default NLTK_EXTENSIONS mode) `.stem(word)`.
 *
 * rouge_score stems every token longer than three characters with this stemmer, so the ROUGE-L
 * score depends on every rule below, including NLTK's departures from Porter's paper (the
 * irregular-forms pool, 'ies'/'ied' on four-letter words, the y->i rule, 'alli', 'fulli', 'logi',
 * the two-letter *o case). Written from the published algorithm plus those documented NLTK
 * deviations; the rule order matters because, as in NLTK, the first rule whose suffix matches
 * decides a step even when its condition fails.
 *
 * Strings are indexed in UTF-16 units, which equals Python's code-point indexing for BMP text.
 * The ROUGE tokenizer only ever passes [a-z0-9]+, so that path is exact.
 */
import { pyLength, pyLower } from '../python/pythonText';

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u']);

/** NLTK maps these forms straight to their paradigm and skips the algorithm. */
const IRREGULAR_FORMS: ReadonlyMap<string, string> = new Map([
  ['sky', 'sky'],
  ['skies', 'sky'],
  ['dying', 'die'],
  ['lying', 'lie'],
  ['tying', 'tie'],
  ['news', 'news'],
  ['innings', 'inning'],
  ['inning', 'inning'],
  ['outings', 'outing'],
  ['outing', 'outing'],
  ['cannings', 'canning'],
  ['canning', 'canning'],
  ['howe', 'howe'],
  ['proceed', 'proceed'],
  ['exceed', 'exceed'],
  ['succeed', 'succeed'],
]);

/** A suffix rule: replace `suffix` by `replacement` when `condition(stemWithoutSuffix)` holds. */
interface SuffixRule {
  readonly suffix: string;
  readonly replacement: string;
  readonly condition: (stem: string) => boolean;
}

/** Porter's consonant: not a vowel, and 'y' only counts as one after a vowel or at the start. */
function isConsonant(word: string, i: number): boolean {
  const ch = word[i];
  if (VOWELS.has(ch)) return false;
  if (ch === 'y') return i === 0 || !isConsonant(word, i - 1);
  return true;
}

/** Porter's m: the number of vowel-to-consonant transitions ([C](VC){m}[V]). */
function measure(stem: string): number {
  let m = 0;
  let previousIsVowel = false;
  for (let i = 0; i < stem.length; i++) {
    const consonant = isConsonant(stem, i);
    if (consonant && previousIsVowel) m++;
    previousIsVowel = !consonant;
  }
  return m;
}

function hasPositiveMeasure(stem: string): boolean {
  return measure(stem) > 0;
}

function measureAboveOne(stem: string): boolean {
  return measure(stem) > 1;
}

function containsVowel(stem: string): boolean {
  for (let i = 0; i < stem.length; i++) if (!isConsonant(stem, i)) return true;
  return false;
}

/** Condition *d: the word ends with two identical consonants. */
function endsDoubleConsonant(word: string): boolean {
  const n = word.length;
  return n >= 2 && word[n - 1] === word[n - 2] && isConsonant(word, n - 1);
}

/** Condition *o: ends consonant-vowel-consonant (last not w, x, y); NLTK also accepts a bare "vc". */
function endsCvc(word: string): boolean {
  const n = word.length;
  if (n >= 3) {
    return (
      isConsonant(word, n - 3) &&
      !isConsonant(word, n - 2) &&
      isConsonant(word, n - 1) &&
      word[n - 1] !== 'w' &&
      word[n - 1] !== 'x' &&
      word[n - 1] !== 'y'
    );
  }
  return n === 2 && !isConsonant(word, 0) && isConsonant(word, 1);
}

function rule(
  suffix: string,
  replacement: string,
  condition: (stem: string) => boolean,
): SuffixRule {
  return { suffix, replacement, condition };
}

/** The first rule whose suffix matches decides: replaced if its condition holds, else unchanged. */
function applyRules(word: string, rules: readonly SuffixRule[]): string {
  for (const r of rules) {
    if (!word.endsWith(r.suffix)) continue;
    const stem = word.slice(0, word.length - r.suffix.length);
    return r.condition(stem) ? stem + r.replacement : word;
  }
  return word;
}

/** Plurals. NLTK turns a four-letter "-ies" word into "-ie" ("dies" -> "die", "flies" -> "fli"). */
function step1a(word: string): string {
  if (word.endsWith('ies') && word.length === 4) return word.slice(0, -3) + 'ie';
  if (word.endsWith('sses')) return word.slice(0, -2);
  if (word.endsWith('ies')) return word.slice(0, -3) + 'i';
  if (word.endsWith('ss')) return word;
  if (word.endsWith('s')) return word.slice(0, -1);
  return word;
}

/** Strips -ed / -ing when the rest has a vowel (NLTK first handles -ied), then tidies the stem. */
function step1b(word: string): string {
  if (word.endsWith('ied')) return word.slice(0, -3) + (word.length === 4 ? 'ie' : 'i');
  if (word.endsWith('eed')) {
    // An -eed word never falls through to the -ed rule, even when m = 0 ("feed" stays).
    const stem = word.slice(0, -3);
    return measure(stem) > 0 ? stem + 'ee' : word;
  }
  let stem: string | undefined;
  if (word.endsWith('ed') && containsVowel(word.slice(0, -2))) stem = word.slice(0, -2);
  else if (word.endsWith('ing') && containsVowel(word.slice(0, -3))) stem = word.slice(0, -3);
  if (stem === undefined) return word;
  return tidyAfterEdIng(stem);
}

function tidyAfterEdIng(stem: string): string {
  if (stem.endsWith('at') || stem.endsWith('bl') || stem.endsWith('iz')) return stem + 'e';
  if (endsDoubleConsonant(stem)) {
    const last = stem[stem.length - 1];
    // "hopp" -> "hop", but "fall", "hiss", "fizz" keep the pair; either way no later rule runs.
    return last === 'l' || last === 's' || last === 'z' ? stem : stem.slice(0, -1);
  }
  return measure(stem) === 1 && endsCvc(stem) ? stem + 'e' : stem;
}

/** NLTK's y -> i: only after a consonant, and not when that consonant is the whole stem ("sky"). */
function step1c(word: string): string {
  if (!word.endsWith('y')) return word;
  const stem = word.slice(0, -1);
  return stem.length > 1 && isConsonant(stem, stem.length - 1) ? stem + 'i' : word;
}

const STEP2_RULES: readonly SuffixRule[] = [
  rule('ational', 'ate', hasPositiveMeasure),
  rule('tional', 'tion', hasPositiveMeasure),
  rule('enci', 'ence', hasPositiveMeasure),
  rule('anci', 'ance', hasPositiveMeasure),
  rule('izer', 'ize', hasPositiveMeasure),
  // NLTK (like Porter's later versions) uses "bli" where the paper has "abli".
  rule('bli', 'ble', hasPositiveMeasure),
  rule('alli', 'al', hasPositiveMeasure),
  rule('entli', 'ent', hasPositiveMeasure),
  rule('eli', 'e', hasPositiveMeasure),
  rule('ousli', 'ous', hasPositiveMeasure),
  rule('ization', 'ize', hasPositiveMeasure),
  rule('ation', 'ate', hasPositiveMeasure),
  rule('ator', 'ate', hasPositiveMeasure),
  rule('alism', 'al', hasPositiveMeasure),
  rule('iveness', 'ive', hasPositiveMeasure),
  rule('fulness', 'ful', hasPositiveMeasure),
  rule('ousness', 'ous', hasPositiveMeasure),
  rule('aliti', 'al', hasPositiveMeasure),
  rule('iviti', 'ive', hasPositiveMeasure),
  rule('biliti', 'ble', hasPositiveMeasure),
  rule('fulli', 'ful', hasPositiveMeasure),
  // The 'l' of "logi" counts with the stem, so short stems like "geo" and "theo" qualify.
  rule('logi', 'log', (stem) => hasPositiveMeasure(stem + 'l')),
];

/** Double suffixes to single ones. NLTK tries "alli" -> "al" first and, on success, repeats step 2. */
function step2(word: string): string {
  if (word.endsWith('alli') && hasPositiveMeasure(word.slice(0, -4)))
    return step2(word.slice(0, -4) + 'al');
  return applyRules(word, STEP2_RULES);
}

const STEP3_RULES: readonly SuffixRule[] = [
  rule('icate', 'ic', hasPositiveMeasure),
  rule('ative', '', hasPositiveMeasure),
  rule('alize', 'al', hasPositiveMeasure),
  rule('iciti', 'ic', hasPositiveMeasure),
  rule('ical', 'ic', hasPositiveMeasure),
  rule('ful', '', hasPositiveMeasure),
  rule('ness', '', hasPositiveMeasure),
];

const STEP4_RULES: readonly SuffixRule[] = [
  rule('al', '', measureAboveOne),
  rule('ance', '', measureAboveOne),
  rule('ence', '', measureAboveOne),
  rule('er', '', measureAboveOne),
  rule('ic', '', measureAboveOne),
  rule('able', '', measureAboveOne),
  rule('ible', '', measureAboveOne),
  rule('ant', '', measureAboveOne),
  rule('ement', '', measureAboveOne),
  rule('ment', '', measureAboveOne),
  rule('ent', '', measureAboveOne),
  rule('ion', '', (stem) => measureAboveOne(stem) && (stem.endsWith('s') || stem.endsWith('t'))),
  rule('ou', '', measureAboveOne),
  rule('ism', '', measureAboveOne),
  rule('ate', '', measureAboveOne),
  rule('iti', '', measureAboveOne),
  rule('ous', '', measureAboveOne),
  rule('ive', '', measureAboveOne),
  rule('ize', '', measureAboveOne),
];

/** Final -e: unlike the other steps, both conditions are tried (m > 1, or m = 1 and not *o). */
function step5a(word: string): string {
  if (!word.endsWith('e')) return word;
  const stem = word.slice(0, -1);
  const m = measure(stem);
  if (m > 1) return stem;
  if (m === 1 && !endsCvc(stem)) return stem;
  return word;
}

/** -ll -> -l when m > 1, the measure taken over the word minus one 'l'. */
function step5b(word: string): string {
  if (word.endsWith('ll') && measureAboveOne(word.slice(0, -1))) return word.slice(0, -1);
  return word;
}

function stemUncached(word: string): string {
  const lowered = pyLower(word);
  // NLTK looks the ORIGINAL word up in the pool (so "Skies" is not an irregular form); any hit
  // is already lower case, so its lowered form is the same key.
  const irregular = IRREGULAR_FORMS.get(word);
  if (irregular !== undefined) return irregular;
  // NLTK's length check is also on the original word, before lowering can change it.
  if (pyLength(word) <= 2) return lowered;
  let stem = step1a(lowered);
  stem = step1b(stem);
  stem = step1c(stem);
  stem = step2(stem);
  stem = applyRules(stem, STEP3_RULES);
  stem = applyRules(stem, STEP4_RULES);
  stem = step5a(stem);
  return step5b(stem);
}

/** Enough for a large vocabulary; beyond it the cache is simply restarted to stay bounded. */
const CACHE_LIMIT = 100_000;
const cache = new Map<string, string>();

/** NLTK `PorterStemmer().stem(word)` (to_lowercase=True). */
export function porterStem(word: string): string {
  const hit = cache.get(word);
  if (hit !== undefined) return hit;
  const stem = stemUncached(word);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(word, stem);
  return stem;
}
