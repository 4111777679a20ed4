/**
 * Finds the numbered options of a ShopBench prompt: multiple-choice answers ("0. mouse pad"),
 * ranking product lists ("1. Supreme Suspensions ..."), retrieval snippet lists ("1.stability").
 *
 * Prompts number their options one per line, consecutively from 0 or 1. Other numbered lines
 * can occur (a review that says "1. fits well"), so the list is the longest consecutive run;
 * on a tie the last run wins because the options come just before the answer instruction.
 */

export interface NumberedOption {
  /** The number as written in the prompt. */
  number: number;
  /** The option text after the number and its punctuation. */
  text: string;
  /** [start, end) offsets of the whole line in the prompt. */
  lineStart: number;
  lineEnd: number;
  /** [start, end) offsets of `text` in the prompt. */
  textStart: number;
  textEnd: number;
}

export function findNumberedOptions(prompt: string): NumberedOption[] {
  return longestConsecutiveRun(numberedLines(prompt));
}

/** Every line of `prompt` that reads as a numbered option, in order. */
export function numberedLines(prompt: string): NumberedOption[] {
  const candidates: NumberedOption[] = [];
  let lineStart = 0;
  while (lineStart <= prompt.length) {
    let lineEnd = prompt.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = prompt.length;
    const option = optionLine(prompt, lineStart, lineEnd);
    if (option) candidates.push(option);
    lineStart = lineEnd + 1;
  }
  return candidates;
}

/**
 * The line prompt[lineStart, lineEnd) as an option when it reads as one: spaces or tabs, 1 to 3
 * digits, spaces or tabs, "." or ")", spaces or tabs, then the text up to trailing spaces, tabs
 * and carriage returns, with no line terminator inside it (what
 * /^([ \t]*)(\d{1,3})[ \t]*[.)][ \t]*(.*?)[ \t\r]*$/ matches on the line, read without slicing
 * the line: most lines fail at their first character).
 */
function optionLine(
  prompt: string,
  lineStart: number,
  lineEnd: number,
): NumberedOption | undefined {
  let at = lineStart;
  while (at < lineEnd && isSpaceOrTab(prompt.charCodeAt(at))) at++;
  const digitsStart = at;
  while (at < lineEnd && at - digitsStart < 4 && isDigit(prompt.charCodeAt(at))) at++;
  const digitsEnd = at;
  if (digitsEnd === digitsStart || digitsEnd - digitsStart > 3) return undefined;
  while (at < lineEnd && isSpaceOrTab(prompt.charCodeAt(at))) at++;
  const mark = prompt.charCodeAt(at);
  if (at >= lineEnd || (mark !== PERIOD && mark !== CLOSING_PARENTHESIS)) return undefined;
  at++;
  while (at < lineEnd && isSpaceOrTab(prompt.charCodeAt(at))) at++;
  let end = lineEnd;
  while (end > at && isTrailing(prompt.charCodeAt(end - 1))) end--;
  for (let i = at; i < end; i++) if (isLineTerminator(prompt.charCodeAt(i))) return undefined;
  const text = prompt.slice(at, end);
  // The text's first occurrence after the digits, where options have always been placed (it is
  // before `at` when the text begins like the punctuation before it, e.g. "1..").
  const textStart = prompt.indexOf(text, digitsEnd);
  return {
    number: Number(prompt.slice(digitsStart, digitsEnd)),
    text,
    lineStart,
    lineEnd,
    textStart,
    textEnd: textStart + text.length,
  };
}

const PERIOD = 0x2e;
const CLOSING_PARENTHESIS = 0x29;

function isSpaceOrTab(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isTrailing(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d;
}

/** What the pattern's "." does not match besides "\n" (lines hold none). */
function isLineTerminator(c: number): boolean {
  return c === 0x0d || c === 0x2028 || c === 0x2029;
}

function longestConsecutiveRun(lines: NumberedOption[]): NumberedOption[] {
  let best: NumberedOption[] = [];
  let run: NumberedOption[] = [];
  for (const line of lines) {
    const previous = run[run.length - 1];
    if (previous && line.number === previous.number + 1) {
      run.push(line);
    } else {
      run = line.number === 0 || line.number === 1 ? [line] : [];
    }
    if (run.length >= 2 && run.length >= best.length) best = run.slice();
  }
  return best;
}
