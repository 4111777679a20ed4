/**
 * What every `mcpo` subcommand module exports, and the flag readers they share. A command's
 * module is loaded only when its name is typed (see cli.ts): `mcpo validate` never loads the
 * OpenAI client, the run engine or the job executors.
 */
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from '../userError';

/** Parsed flags, as node:util's parseArgs gives them. */
export type OptionValues = Record<string, string | boolean | undefined>;

export interface Command {
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  help: string;
  /** Whether the command takes positional arguments (report's run folders, job's action). */
  positionals?: boolean;
  run(values: OptionValues, positionals: string[]): Promise<number>;
}

/** A flag the command cannot run without; its absence is a usage error that shows the usage. */
export function requireOption(
  v: OptionValues,
  name: string,
  command: string,
  usage: string,
): string {
  const value = v[name];
  if (typeof value !== 'string' || value === '') {
    throw new UsageError(`mcpo ${command}: --${name} is required\nusage: ${usage}`);
  }
  return value;
}

export function intOption(
  v: OptionValues,
  name: string,
  command: string,
  min: number,
): number | undefined {
  const raw = v[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(
      `mcpo ${command}: --${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`,
    );
  return n;
}

/** Edits (insert, delete, substitute, swap two neighbours) between `a` and `b`. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.length][b.length];
}

/**
 * parseArgs' "Unknown option '--presett'" with the closest flag the command has: "Unknown
 * option '--presett': did you mean --preset?". A typo is a few edits away (at most 2, and fewer
 * than half the flag); anything further gets no guess.
 */
export function unknownOptionMessage(message: string, options: Command['options']): string {
  const typed = /^Unknown option '--([^'=]+)'/.exec(message)?.[1];
  if (typed === undefined) return message;
  let best: { name: string; distance: number } | undefined;
  for (const name of Object.keys(options)) {
    const distance = editDistance(typed, name);
    if (distance < (best?.distance ?? Infinity)) best = { name, distance };
  }
  if (!best || best.distance > Math.min(2, Math.floor(typed.length / 2))) return message;
  return `${message}: did you mean --${best.name}?`;
}
