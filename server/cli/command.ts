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
