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

const OPTION_LINE = /^([ \t]*)(\d{1,3})[ \t]*[.)][ \t]*(.*?)[ \t\r]*$/;

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
    // Only a line whose first character after spaces and tabs is a digit can match: checking
    // that first skips the slice and the regex for most lines (validating 100,000 rows runs this
    // on every multiple-choice and ranking prompt).
    let first = lineStart;
    while (first < lineEnd && isSpaceOrTab(prompt.charCodeAt(first))) first++;
    if (isDigit(prompt.charCodeAt(first))) {
      const line = prompt.slice(lineStart, lineEnd);
      const m = OPTION_LINE.exec(line);
      if (m) {
        const textOffset = line.indexOf(m[3], m[1].length + m[2].length);
        candidates.push({
          number: Number(m[2]),
          text: m[3],
          lineStart,
          lineEnd,
          textStart: lineStart + textOffset,
          textEnd: lineStart + textOffset + m[3].length,
        });
      }
    }
    lineStart = lineEnd + 1;
  }
  return candidates;
}

function isSpaceOrTab(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
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
