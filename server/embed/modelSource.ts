/**
 * What an embedding model setting names: a folder on disk or a Hugging Face hub id. Both are
 * written with slashes (`Xenova/all-MiniLM-L6-v2` vs `./models/minilm`), so the rules here decide,
 * for the platform's own path syntax (`paths`; Windows: `C:\models`, `D:/models`, `~\models`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultModelCacheDir } from '../models/modelCache';
import { NativePartError } from '../native/nativePart';
import { REQUIRED_MODEL_FILES } from '../protocol/scoringModelFix';

// The file list is shown by the views (the fix for a model that is missing): its home is the protocol.
export { REQUIRED_MODEL_FILES };

export type ModelSource = { kind: 'folder'; folder: string } | { kind: 'hub'; id: string };

/** Something that can only be a path: absolute, ./ ../ ~ prefixed, or with backslashes. */
export function looksLikePath(model: string, paths: path.PlatformPath = path): boolean {
  return paths.isAbsolute(model) || /^(\.{1,2}|~)([\\/]|$)/.test(model) || model.includes('\\');
}

/** `~` and `~/...` (or `~\...`) in the home folder. */
export function expandHome(
  model: string,
  home: string = os.homedir(),
  paths: path.PlatformPath = path,
): string {
  return model === '~' || /^~[\\/]/.test(model) ? paths.join(home, model.slice(1)) : model;
}

/** The last segment of a hub id or a folder (either slash), e.g. "all-MiniLM-L6-v2". */
export function modelName(model: string): string {
  return (
    model
      .split(/[\\/]/)
      .filter((s) => s.length > 0)
      .pop() ?? ''
  );
}

/** An existing folder wins (even if it also looks like a hub id); otherwise a hub id. */
export function resolveSource(model: string): ModelSource {
  const candidate = path.resolve(expandHome(model));
  if (fs.existsSync(candidate) && fs.statSync(candidate).isDirectory())
    return { kind: 'folder', folder: candidate };
  if (looksLikePath(model)) throw loadError(model, `folder ${candidate} does not exist`);
  return { kind: 'hub', id: model };
}

/**
 * Why a model did not load. Where to give another model differs by what it is for (M_V or a
 * scoring model) and where the user is (the CLI, VS Code): the callers say that, once (see
 * scoringModelFix). Only a runtime that cannot load is answered here, the same for all.
 */
export function loadError(model: string, reason: string, cause?: unknown): Error {
  const instead = cause instanceof NativePartError ? ` ${cause.instead}.` : '';
  return new Error(`Could not load embedding model "${model}": ${reason}.${instead}`, { cause });
}

/**
 * The model's files are already on disk (a complete folder, or a hub model in the model cache),
 * so loading it needs no download: the one step that fails without the hub.
 */
export function modelOnDisk(model: string, cacheDir: string = defaultModelCacheDir()): boolean {
  let folder: string;
  try {
    folder = sourceFolder(resolveSource(model), cacheDir);
  } catch {
    return false; // a path that does not exist
  }
  return missingModelFiles(folder).length === 0;
}

/** Where a model's files are: its folder, or a hub model's folder in the model cache. */
export function sourceFolder(source: ModelSource, cacheDir: string): string {
  return source.kind === 'folder' ? source.folder : path.join(cacheDir, source.id);
}

/** The REQUIRED_MODEL_FILES that `folder` lacks (all of them when it does not exist). */
export function missingModelFiles(folder: string): string[] {
  return REQUIRED_MODEL_FILES.filter((f) => !fs.existsSync(path.join(folder, f)));
}

export function checkFolder(folder: string): void {
  const missing = missingModelFiles(folder);
  if (missing.length > 0) throw loadError(folder, `missing ${missing.join(', ')} in ${folder}`);
}

/** The first line of an error, trimmed to a readable length. */
export function shortReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n')[0].trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
