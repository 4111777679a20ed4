/**
 * Reads a predictions file: one line per dataset row, in order, each `{"response": "<raw model
 * output>"}` or a bare JSON string. Streams the file; every problem names the line.
 */
import type * as fs from 'node:fs';
import * as readline from 'node:readline';
import { UserError } from '../userError';
import { openForReading } from '../util/openForReading';
import { plural } from '../protocol/runLabels';

export class PredictionsError extends UserError {}

/** At most this many problems are listed; the count of the rest follows. */
const MAX_LISTED_PROBLEMS = 20;

/** Reads every line; all bad lines are reported together, so one pass over the file fixes them. */
export async function readPredictions(file: string): Promise<string[]> {
  const responses: string[] = [];
  const problems: string[] = [];
  const handle = await openPredictions(file);
  const input = handle.createReadStream({ encoding: 'utf8' });
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  let blankAt: number | undefined;
  try {
    for await (const line of lines) {
      lineNumber++;
      if (line.trim() === '') {
        blankAt ??= lineNumber;
        continue;
      }
      if (blankAt !== undefined) {
        problems.push(
          `${file}:${blankAt}: empty line; every line must hold one prediction ({"response": "..."})`,
        );
        blankAt = undefined;
      }
      try {
        responses.push(parsePredictionLine(file, lineNumber, line));
      } catch (err) {
        if (!(err instanceof PredictionsError)) throw err;
        problems.push(err.message);
      }
    }
  } finally {
    await handle.close();
  }
  if (problems.length > 0) {
    const listed = problems.slice(0, MAX_LISTED_PROBLEMS);
    if (problems.length > listed.length)
      listed.push(`... and ${plural(problems.length - listed.length, 'more bad line')}`);
    throw new PredictionsError(
      `${plural(problems.length, 'bad prediction line')}; nothing was scored:\n${listed.join('\n')}`,
    );
  }
  return responses;
}

/** The file, or a message that names it and says what was expected (a folder gives Node's bare EISDIR). */
async function openPredictions(file: string): Promise<fs.promises.FileHandle> {
  try {
    return await openForReading(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PredictionsError(`${file}: no such file`);
    if (code === 'EISDIR')
      throw new PredictionsError(
        `${file} is a folder; predictions are one file with a line per dataset row ({"response": "..."} or a JSON string)`,
      );
    throw err;
  }
}

export function parsePredictionLine(file: string, lineNumber: number, line: string): string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new PredictionsError(
      `${file}:${lineNumber}: not valid JSON (${(err as Error).message}); expected {"response": "..."} or a JSON string`,
    );
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'response' in value) {
    const response = (value as { response: unknown }).response;
    if (typeof response === 'string') return response;
    throw new PredictionsError(
      `${file}:${lineNumber}: field "response" must be a string (the raw model output), got ${JSON.stringify(response)?.slice(0, 40)}`,
    );
  }
  throw new PredictionsError(
    `${file}:${lineNumber}: expected {"response": "..."} or a JSON string`,
  );
}
