/**
 * A run's dataset has two names: the user's file, which everything shown names, and (for VS Code
 * runs) the snapshot of the editor's rows that the engine read. These two functions keep every
 * reader on the right one.
 */
import type { RunConfigSummary } from '../protocol/runs';

type RunData = RunConfigSummary['data'];

/** The file whose rows the run asked, for reading them again (resume, export agreement). */
export function runInputFile(data: RunData): string {
  return data.input ?? data.file;
}

/** The dataset as a user recognises it; says so when the run read unsaved editor contents. */
export function datasetName(data: RunData): string {
  return data.unsaved ? `${data.file} (unsaved editor contents)` : data.file;
}

/**
 * The file that holds the dataset datasetName names: the user's file, or for unsaved editor
 * contents the snapshot (the only place they were kept). For measuring "the rows of" it.
 */
export function namedDatasetFile(data: RunData): string {
  return data.unsaved ? runInputFile(data) : data.file;
}
