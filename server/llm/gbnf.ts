/**
 * Structured output as a llama.cpp GBNF grammar: `choice` becomes alternatives, `regex` the small
 * regex subset the runner produces. The local model answers under it, so multiple-choice and
 * ranking answers always parse.
 */
import type { StructuredOutput } from './types';

/** A GBNF string literal. */
function gbnfLiteral(text: string): string {
  let out = '"';
  for (const ch of text) {
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else out += ch;
  }
  return `${out}"`;
}

/** `choice` → `root ::= "a" | "b" | ...`. */
export function choiceToGbnf(choices: readonly string[]): string {
  if (choices.length === 0) throw new Error('structured choice needs at least one alternative');
  return `root ::= ${choices.map(gbnfLiteral).join(' | ')}`;
}

/** llama.cpp refuses repetition counts above this. */
const MAX_REPEAT = 1000;

/**
 * A regex subset → GBNF: literals (with `\` escapes), character classes with ranges (`[0-9]`,
 * `[^,]`), `\d`, groups `( )`, alternation `|`, and the quantifiers `{n}`, `{m,n}`, `{m,}`, `?`,
 * `*`, `+`. That covers what the runner sends (`[1-5](, [1-5]){4}`, `[0-9]{1,3}, ...`); anything
 * else (`.`, `\w`, anchors inside, lookarounds, backreferences) is rejected with the position, as
 * silently loosening a constraint would change the answers.
 */
export function regexToGbnf(regex: string): string {
  let source = regex;
  // Servers treat the whole output as matched, so a leading ^ / trailing $ mean nothing extra.
  const offset = source.startsWith('^') ? 1 : 0;
  source = source.slice(offset);
  if (source.endsWith('$') && !source.endsWith('\\$')) source = source.slice(0, -1);
  let pos = 0;
  const fail = (what: string): never => {
    throw new Error(
      `regex ${JSON.stringify(regex)}: ${what} at position ${pos + offset}; supported: literals, [classes], \\d, (groups), |, {n}, {m,n}, ?, *, +`,
    );
  };

  const parseAlternation = (): string => {
    const branches = [parseSequence()];
    while (source[pos] === '|') {
      pos++;
      branches.push(parseSequence());
    }
    return branches.length === 1 ? branches[0] : branches.join(' | ');
  };

  const parseSequence = (): string => {
    const items: string[] = [];
    while (pos < source.length && source[pos] !== '|' && source[pos] !== ')') {
      const atom = parseAtom();
      items.push(atom + parseQuantifier());
    }
    // An empty branch matches the empty string.
    return items.length === 0 ? '""' : items.join(' ');
  };

  const parseAtom = (): string => {
    const ch = source[pos];
    if (ch === '(') {
      pos++;
      if (source[pos] === '?') fail('group modifiers (?...)');
      const inner = parseAlternation();
      if (source[pos] !== ')') fail('unclosed group');
      pos++;
      return `(${inner})`;
    }
    if (ch === '[') return parseClass();
    if (ch === '\\') {
      const next = source[pos + 1];
      if (next === undefined) fail('trailing backslash');
      pos += 2;
      if (next === 'd') return '[0-9]';
      if (/[\\^$.|?*+()[\]{}\-/"'\s,:]/.test(next)) return gbnfLiteral(next);
      if (next === 'n') return gbnfLiteral('\n');
      if (next === 't') return gbnfLiteral('\t');
      pos -= 2;
      return fail(`unsupported escape \\${next}`);
    }
    if ('.^$*+?{'.includes(ch)) return fail(`unsupported ${JSON.stringify(ch)}`);
    // Consecutive plain characters become one literal: "foo" rather than "f" "o" "o", but a
    // quantifier binds to the last character only, so stop one short of it.
    let text = '';
    while (pos < source.length && !'()[]\\|.^$*+?{}'.includes(source[pos])) {
      const following = source[pos + 1];
      if (text.length > 0 && following !== undefined && '*+?{'.includes(following)) break;
      text += source[pos++];
    }
    if (text === '') return fail(`unexpected ${JSON.stringify(source[pos])}`);
    return gbnfLiteral(text);
  };

  const parseClass = (): string => {
    const start = pos;
    pos++; // [
    let out = '[';
    if (source[pos] === '^') {
      out += '^';
      pos++;
    }
    let first = true;
    while (pos < source.length && (source[pos] !== ']' || first)) {
      first = false;
      let ch = source[pos++];
      if (ch === '\\') {
        const next = source[pos++];
        if (next === undefined) fail('trailing backslash');
        if (next === 'd') {
          out += '0-9';
          continue;
        }
        if (!/[\\\][^\-.]/.test(next)) {
          pos -= 2;
          fail(`unsupported escape \\${next} in a class`);
        }
        ch = next;
      }
      // GBNF classes need \ ] [ escaped; '-' stays a range operator exactly as in the regex.
      out += ch === '\\' || ch === ']' || ch === '[' ? `\\${ch}` : ch;
    }
    if (source[pos] !== ']') {
      pos = start;
      fail('unclosed character class');
    }
    pos++;
    return `${out}]`;
  };

  const parseQuantifier = (): string => {
    const ch = source[pos];
    if (ch === '?' || ch === '*' || ch === '+') {
      pos++;
      if (source[pos] === '?' || source[pos] === '+') fail('lazy or possessive quantifiers');
      return ch;
    }
    if (ch !== '{') return '';
    const match = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(pos));
    if (match === null) return fail('malformed {m,n} repeat');
    const min = Number(match[1]);
    const max = match[2] === undefined ? min : match[3] === '' ? undefined : Number(match[3]);
    if (max !== undefined && max < min) fail(`repeat {${min},${max}} with max < min`);
    if (Math.max(min, max ?? 0) > MAX_REPEAT) fail(`repeat count above ${MAX_REPEAT}`);
    pos += match[0].length;
    if (max === undefined) return `{${min},}`;
    return max === min ? `{${min}}` : `{${min},${max}}`;
  };

  const body = parseAlternation();
  if (pos < source.length) fail(`unexpected ${JSON.stringify(source[pos])}`);
  return `root ::= ${body}`;
}

/** The GBNF for a request's constraint, or undefined when unconstrained. */
export function structuredToGbnf(structured: StructuredOutput | undefined): string | undefined {
  if (structured === undefined) return undefined;
  if (structured.choice !== undefined) return choiceToGbnf(structured.choice);
  if (structured.regex !== undefined) return regexToGbnf(structured.regex);
  return undefined;
}
