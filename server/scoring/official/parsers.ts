/**
 * The five official ShopBench response parsers (starter kit parsers.py), quirks included:
 * these define what a competitor's raw output scores. Where a quirk would surprise a user
 * ("10" is option 1, "1\n2\n3" is item 123), the parse also returns a warning saying so; the
 * value is never changed by it.
 */
import type { TaskType } from '../../dataset/shopbench';
import { parsePythonListOfStr } from '../python/pythonLiteral';
import {
  codePoints,
  isPyNumeric,
  pyDecimalValue,
  pyInt,
  pyLength,
  pySliceCodePoints,
  pyStrip,
} from '../python/pythonText';

/** The official parser truncates every response to this many code points first. */
export const MAX_RESPONSE_CHARACTERS = 5000;

// What a parser returns is shown by the views: its home is the protocol.
import type { ParsedAnswer } from '../../protocol/runs';
export type { ParsedAnswer };

export interface Parsed<T extends ParsedAnswer = ParsedAnswer> {
  value: T;
  warnings: string[];
}

/** Parses a raw model response the way the official evaluation does for the row's task type. */
export function parseResponse(taskType: TaskType, response: string): Parsed {
  const warnings: string[] = [];
  // More code points than UTF-16 units is impossible: most responses skip the count.
  if (response.length > MAX_RESPONSE_CHARACTERS && pyLength(response) > MAX_RESPONSE_CHARACTERS) {
    warnings.push(
      `the response has ${pyLength(response)} characters; the official parser reads only the first ${MAX_RESPONSE_CHARACTERS}`,
    );
  }
  const cut = pySliceCodePoints(response, MAX_RESPONSE_CHARACTERS);
  const parsed = parseCut(taskType, cut);
  return { value: parsed.value, warnings: warnings.concat(parsed.warnings) };
}

function parseCut(taskType: TaskType, response: string): Parsed {
  switch (taskType) {
    case 'multiple-choice':
      return parseMultipleChoice(response);
    case 'ranking':
      return parseRanking(response);
    case 'retrieval':
      return parseRetrieval(response);
    case 'generation':
      return { value: pyStrip(response), warnings: [] };
    case 'named_entity_recognition':
      return parseNamedEntities(response);
  }
}

/** `int(response.strip()[0])`, -1 when that raises. */
export function parseMultipleChoice(response: string): Parsed<number> {
  const stripped = pyStrip(response);
  if (stripped.length === 0)
    return { value: -1, warnings: ['the response is empty: scored as no answer (-1)'] };
  const cps = codePoints(stripped);
  const first = String.fromCodePoint(cps[0]);
  const digit = pyDecimalValue(cps[0]);
  if (digit < 0) {
    return {
      value: -1,
      warnings: [
        `the response starts with ${JSON.stringify(first)}, not a digit: the official parser scores it as no answer (-1)`,
      ],
    };
  }
  const warnings: string[] = [];
  if (cps.length > 1 && pyDecimalValue(cps[1]) >= 0) {
    const number = takeWhile(cps, (cp) => pyDecimalValue(cp) >= 0);
    warnings.push(
      `"${number}" parsed as option ${digit}: the official parser reads only the first character`,
    );
  }
  if (cps[0] > 0x7f)
    warnings.push(
      `the non-ASCII digit ${JSON.stringify(first)} was read as ${digit} (Python's int() accepts any Unicode digit)`,
    );
  return { value: digit, warnings };
}

/**
 * Ranking: delete every character that is not numeric, a comma or a space; split at commas;
 * keep the items int() accepts that are at most 5; the first five; any duplicate empties it.
 */
export function parseRanking(response: string): Parsed<number[]> {
  const warnings = gluedDigitWarnings(response);
  const items: number[] = [];
  for (const item of numericItems(response, warnings)) {
    if (item <= 5) items.push(item);
    else
      warnings.push(
        `item ${item} was dropped: the official ranking parser keeps only numbers up to 5`,
      );
  }
  const ranked = items.slice(0, 5);
  if (items.length > 5) warnings.push(`only the first 5 of ${items.length} items were kept`);
  const duplicate = ranked.find((x, i) => ranked.indexOf(x) !== i);
  if (duplicate !== undefined) {
    warnings.push(
      `item ${duplicate} appears twice: the official parser then returns an empty ranking`,
    );
    return { value: [], warnings };
  }
  return { value: ranked, warnings };
}

/** Retrieval: the same cleaning as ranking, no upper bound, the first three items. */
export function parseRetrieval(response: string): Parsed<number[]> {
  const warnings = gluedDigitWarnings(response);
  const items = numericItems(response, warnings);
  if (/-\s*[0-9]/.test(response))
    warnings.push('minus signs are deleted by the official parser: "-6" reads as 6');
  return { value: items.slice(0, 3), warnings };
}

/** The comma-separated pieces of the cleaned response that Python's int() accepts. */
function numericItems(response: string, warnings: string[]): number[] {
  let cleaned = '';
  for (const ch of response) {
    if (ch === ',' || ch === ' ' || isPyNumeric(ch.codePointAt(0)!)) cleaned += ch;
  }
  const out: number[] = [];
  for (const piece of cleaned.split(',')) {
    const value = pyInt(piece);
    if (value !== undefined) {
      out.push(value);
      if ([...piece].some((ch) => ch.charCodeAt(0) > 0x7f))
        warnings.push(`non-ASCII digits in ${JSON.stringify(piece.trim())} were read as ${value}`);
    } else if (piece.trim().length > 0) {
      warnings.push(
        `${JSON.stringify(piece.trim())} is not one number and was skipped (the official parser splits at commas only)`,
      );
    }
  }
  return out;
}

/** Warns where characters between digits were deleted so that separate numbers ran together. */
function gluedDigitWarnings(response: string): string[] {
  const warnings: string[] = [];
  for (const segment of response.split(',')) {
    const runs = segment.match(/[0-9\u0660-\u0669\uff10-\uff19]+/g);
    if (!runs || runs.length < 2) continue;
    // Only when nothing but deletable characters (no space) separates the runs does int() succeed.
    const between = segment.slice(
      segment.indexOf(runs[0]) + runs[0].length,
      segment.lastIndexOf(runs[runs.length - 1]),
    );
    if (!between.includes(' ')) {
      warnings.push(
        `${JSON.stringify(segment.trim())} reads as the single number ${runs.join('')}: the official parser deletes characters other than digits, commas and spaces`,
      );
    }
  }
  return warnings;
}

/** NER: a Python list of str literal as is; anything else split at commas, stripped, blanks dropped. */
export function parseNamedEntities(response: string): Parsed<string[]> {
  const literal = parsePythonListOfStr(response);
  if (literal.ok) return { value: literal.items, warnings: [] };
  const warnings: string[] = [];
  if (literal.unsupported)
    warnings.push(
      `the response looks like a Python list but uses ${literal.unsupported}; it was split at commas instead`,
    );
  const items = response
    .split(',')
    .map((e) => pyStrip(e))
    .filter((e) => e !== '');
  const head = pyStrip(response)[0];
  if (
    !literal.unsupported &&
    (head === '[' || head === '(' || head === '{' || head === '"' || head === "'")
  ) {
    warnings.push(
      'the response is not a Python list of strings, so it was split at commas and its brackets and quotes were kept',
    );
  }
  return { value: items, warnings };
}

function takeWhile(cps: number[], pred: (cp: number) => boolean): string {
  let out = '';
  for (const cp of cps) {
    if (!pred(cp)) break;
    out += String.fromCodePoint(cp);
  }
  return out;
}
