/**
 * A small YAML emitter and reader for the config files jobs use (axolotl, mergekit) and the
 * specs users write. No dependency: the emitter writes block mappings and sequences, plain keys,
 * and every string scalar double-quoted (JSON's string syntax is valid YAML), so a value can never
 * be misread as a number, a boolean or a comment. The reader accepts that subset plus what people
 * type by hand: plain scalars, `#` comments, flow lists of scalars like `[0, 0.5, 1]`, and JSON.
 */
import { UserError } from '../userError';

export type YamlValue =
  string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

/** A problem in a YAML/JSON spec, with its 1-based line. */
export class YamlError extends UserError {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function scalar(v: string | number | boolean | null): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`cannot write ${v} to YAML`);
  return String(v);
}

function key(k: string): string {
  return PLAIN_KEY.test(k) ? k : JSON.stringify(k);
}

function isScalar(v: YamlValue): v is string | number | boolean | null {
  return v === null || typeof v !== 'object';
}

function emit(value: YamlValue, indent: string, lines: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isScalar(item)) lines.push(`${indent}- ${scalar(item)}`);
      else if (Array.isArray(item)) {
        // Lists of scalars stay on one line, like the t-curves in mergekit's examples.
        if (item.every(isScalar))
          lines.push(
            `${indent}- [${item.map((i) => scalar(i as string | number | boolean | null)).join(', ')}]`,
          );
        else {
          lines.push(`${indent}-`);
          emit(item, `${indent}  `, lines);
        }
      } else {
        const sub: string[] = [];
        emit(item, `${indent}  `, sub);
        if (sub.length === 0) lines.push(`${indent}- {}`);
        else lines.push(`${indent}- ${sub[0].slice(indent.length + 2)}`, ...sub.slice(1));
      }
    }
    return;
  }
  if (isScalar(value)) {
    lines.push(`${indent}${scalar(value)}`);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (isScalar(v)) lines.push(`${indent}${key(k)}: ${scalar(v)}`);
    else if (Array.isArray(v) && (v.length === 0 || v.every(isScalar)))
      lines.push(
        `${indent}${key(k)}: [${v.map((i) => scalar(i as string | number | boolean | null)).join(', ')}]`,
      );
    else if (!Array.isArray(v) && Object.keys(v).length === 0) lines.push(`${indent}${key(k)}: {}`);
    else {
      lines.push(`${indent}${key(k)}:`);
      emit(v, `${indent}  `, lines);
    }
  }
}

export function toYaml(value: { [key: string]: YamlValue }): string {
  const lines: string[] = [];
  emit(value, '', lines);
  return `${lines.join('\n')}\n`;
}

interface Line {
  no: number;
  indent: number;
  text: string;
}

/** Strips a trailing comment that is outside quotes. */
function stripComment(s: string): string {
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || s[i - 1] === ' ' || s[i - 1] === '\t')) return s.slice(0, i);
  }
  return s;
}

function parseScalar(raw: string, line: number): YamlValue {
  const s = raw.trim();
  if (s === '' || s === '~' || s === 'null') return null;
  if (s === 'true' || s === 'True') return true;
  if (s === 'false' || s === 'False') return false;
  if (s.startsWith('"')) {
    try {
      return JSON.parse(s) as string;
    } catch {
      throw new YamlError(line, `unterminated or invalid double-quoted string: ${s}`);
    }
  }
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2)
      throw new YamlError(line, `unterminated single-quoted string: ${s}`);
    return s.slice(1, -1).replace(/''/g, "'");
  }
  if (s.startsWith('[')) {
    if (!s.endsWith(']'))
      throw new YamlError(line, `a flow list must end on the same line with "]": ${s}`);
    const inner = s.slice(1, -1).trim();
    if (inner === '') return [];
    return splitFlow(inner, line).map((part) => parseScalar(part, line));
  }
  if (s.startsWith('{')) {
    try {
      return JSON.parse(s) as YamlValue;
    } catch {
      throw new YamlError(line, `only JSON objects are understood inline: ${s}`);
    }
  }
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Number(s);
  return s;
}

function splitFlow(s: string, line: number): string[] {
  const parts: string[] = [];
  let quote = '';
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (quote) throw new YamlError(line, 'unterminated string in a flow list');
  parts.push(s.slice(start));
  return parts;
}

/** Finds the ": " that separates a key from its value, outside quotes. */
function keySplit(text: string): [string, string] | undefined {
  if (text.startsWith('"')) {
    const end = text.indexOf('":');
    if (end < 0) return undefined;
    return [JSON.parse(text.slice(0, end + 1)) as string, text.slice(end + 2)];
  }
  const m = /^([^\s:'"[\]{},#][^:]*?):(?:\s+(.*))?$/.exec(text);
  return m ? [m[1], m[2] ?? ''] : undefined;
}

function parseBlock(lines: Line[], pos: { i: number }, indent: number): YamlValue {
  const first = lines[pos.i];
  if (first.text.startsWith('- ') || first.text === '-') {
    const list: YamlValue[] = [];
    while (
      pos.i < lines.length &&
      lines[pos.i].indent === indent &&
      (lines[pos.i].text.startsWith('- ') || lines[pos.i].text === '-')
    ) {
      const l = lines[pos.i];
      const rest = l.text === '-' ? '' : l.text.slice(2).trimStart();
      if (rest === '') {
        pos.i++;
        if (pos.i < lines.length && lines[pos.i].indent > indent)
          list.push(parseBlock(lines, pos, lines[pos.i].indent));
        else list.push(null);
      } else if (keySplit(rest) && !rest.startsWith('[') && !rest.startsWith('{')) {
        // "- key: value" opens a mapping whose keys line up with "key".
        const childIndent = indent + (l.text.length - rest.length);
        lines[pos.i] = { no: l.no, indent: childIndent, text: rest };
        list.push(parseBlock(lines, pos, childIndent));
      } else {
        list.push(parseScalar(rest, l.no));
        pos.i++;
      }
    }
    return list;
  }
  const map: { [key: string]: YamlValue } = {};
  while (pos.i < lines.length && lines[pos.i].indent === indent) {
    const l = lines[pos.i];
    const kv = keySplit(l.text);
    if (!kv) throw new YamlError(l.no, `expected "key: value", found ${JSON.stringify(l.text)}`);
    const [k, v] = kv;
    if (Object.prototype.hasOwnProperty.call(map, k))
      throw new YamlError(l.no, `key "${k}" appears twice`);
    pos.i++;
    if (v.trim() === '') {
      const next = lines[pos.i];
      // A list may sit at the same indent as its key (a common YAML style).
      if (
        next &&
        (next.indent > indent ||
          (next.indent === indent && (next.text.startsWith('- ') || next.text === '-')))
      )
        map[k] = parseBlock(lines, pos, next.indent);
      else map[k] = null;
    } else {
      if (v.trim() === '|' || v.trim() === '>')
        throw new YamlError(l.no, 'block strings (| and >) are not supported: use a quoted string');
      map[k] = parseScalar(v, l.no);
    }
  }
  if (pos.i < lines.length && lines[pos.i].indent > indent)
    throw new YamlError(lines[pos.i].no, 'unexpected indentation');
  return map;
}

/** Parses a spec: JSON if it starts with "{", else the YAML subset described above. */
export function parseYaml(text: string): YamlValue {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trimStart().startsWith('{')) {
    try {
      return JSON.parse(body) as YamlValue;
    } catch (err) {
      throw new YamlError(1, `not valid JSON: ${(err as Error).message}`);
    }
  }
  const lines: Line[] = [];
  body.split(/\r?\n/).forEach((raw, idx) => {
    if (/^\s*\t/.test(raw)) throw new YamlError(idx + 1, 'tabs cannot indent YAML: use spaces');
    const text = stripComment(raw).trimEnd();
    if (text.trim() === '' || text.trim() === '---') return;
    lines.push({
      no: idx + 1,
      indent: text.length - text.trimStart().length,
      text: text.trimStart(),
    });
  });
  if (lines.length === 0) return null;
  const pos = { i: 0 };
  const value = parseBlock(lines, pos, lines[0].indent);
  if (pos.i < lines.length) throw new YamlError(lines[pos.i].no, 'unexpected indentation');
  return value;
}
