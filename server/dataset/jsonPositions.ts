/**
 * Positions inside the JSON text of one row, so a problem can name the column of the field it
 * is about. JSON.parse gives values only; this scanner finds where each top-level key and its
 * value start without building anything else.
 */

export interface FieldPosition {
  /** Offset of the key's opening quote. */
  keyOffset: number;
  /** Offset of the first character of the value. */
  valueOffset: number;
}

/** Offsets of the top-level keys of the JSON object in `text` (first occurrence wins, as JSON.parse keeps the last; good enough to point at). */
export function topLevelFieldPositions(text: string): Map<string, FieldPosition> {
  const out = new Map<string, FieldPosition>();
  let depth = 0;
  let i = 0;
  let expectKey = false;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const end = skipString(text, i);
      if (depth === 1 && expectKey) {
        let j = end;
        while (j < text.length && isJsonSpace(text[j])) j++;
        if (text[j] === ':') {
          j++;
          while (j < text.length && isJsonSpace(text[j])) j++;
          const key = safeParseString(text.slice(i, end));
          if (key !== undefined && !out.has(key)) out.set(key, { keyOffset: i, valueOffset: j });
          expectKey = false;
          i = j;
          continue;
        }
      }
      i = end;
      continue;
    }
    if (c === '{' || c === '[') {
      depth++;
      expectKey = c === '{' && depth === 1;
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
    i++;
  }
  return out;
}

/**
 * Offset just past the string literal starting at `start` (a '"'). A quote ends it unless an
 * odd number of backslashes precede it; indexOf finds the quotes, so the characters between
 * them (most of a row: the prompt) are not looked at one by one.
 */
export function skipString(text: string, start: number): number {
  for (let quote = text.indexOf('"', start + 1); quote >= 0; quote = text.indexOf('"', quote + 1)) {
    let before = quote - 1;
    while (before > start && text.charCodeAt(before) === 0x5c /* \ */) before--;
    if ((quote - 1 - before) % 2 === 0) return quote + 1;
  }
  return text.length;
}

function isJsonSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

function safeParseString(literal: string): string | undefined {
  try {
    const v: unknown = JSON.parse(literal);
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The 0-based offset named by a V8 JSON.parse error message ("... at position 12 ..."), if any. */
export function jsonErrorOffset(error: unknown): number | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const m = /at position (\d+)/.exec(message);
  return m ? Number(m[1]) : undefined;
}

/** A JSON.parse error message without V8's position suffix, which we report as line:column. */
export function jsonErrorReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*(in JSON )?at position \d+( \(line \d+ column \d+\))?/, '').trim();
}
