/**
 * What an embedding model setting names: a folder on disk or a Hugging Face hub id. Both are
 * written with slashes (`Xenova/all-MiniLM-L6-v2` vs `./models/minilm`), so the rules here decide,
 * for the platform's own path syntax (`paths`; Windows: `C:\models`, `D:/models`, `~\models`).
 */
import * as os from 'node:os';
import * as path from 'node:path';

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
