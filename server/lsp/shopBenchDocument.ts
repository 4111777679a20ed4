/**
 * Which open documents the language server treats as ShopBench datasets. Only `.jsonl`/`.json`
 * files whose first row looks like a ShopBench question (or that match the user's globs) get
 * diagnostics, lenses and symbols: other JSON in the workspace must stay untouched.
 */
/** `initializationOptions` of the MCPO language client. */
export interface InitializationOptions {
  datasetGlobs?: string[];
}

/** Reads the initialization options defensively: they come from user settings. */
export function readInitializationOptions(value: unknown): InitializationOptions {
  if (typeof value !== 'object' || value === null) return {};
  const globs = (value as { datasetGlobs?: unknown }).datasetGlobs;
  return Array.isArray(globs)
    ? { datasetGlobs: globs.filter((g): g is string => typeof g === 'string') }
    : {};
}

/**
 * The path of a `file:` URI as the URI spells it, decoded, or the URI itself for other schemes.
 * A URI's path has forward slashes on every platform (`file:///c%3A/data/x.jsonl` is
 * `/c:/data/x.jsonl`), which is what globs are written against.
 */
export function uriPath(uri: string): string {
  if (!uri.startsWith('file:')) return uri;
  try {
    return decodeURIComponent(new URL(uri).pathname);
  } catch {
    return uri;
  }
}

export function hasDatasetExtension(uri: string): boolean {
  return /\.jsonl?$/i.test(uriPath(uri));
}

/** A glob (`**`, `*`, `?`, `{a,b}`) as a regular expression over forward-slash paths. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more folders, so `**/x.jsonl` also matches a top-level x.jsonl.
        const slash = glob[i + 2] === '/';
        out += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '{') out += '(?:';
    else if (c === '}') out += ')';
    else if (c === ',') out += '|';
    else out += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 'i');
}

/** Whether the URI matches one of the globs; a glob without "/" matches the file name anywhere. */
export function matchesGlobs(uri: string, globs: readonly string[]): boolean {
  const p = uriPath(uri);
  return globs.some((g) => {
    const re = globToRegExp(g.includes('/') ? g : `**/${g}`);
    return re.test(p) || re.test(p.replace(/^\/+/, ''));
  });
}

/** The first row parses to an object with `input_field` and `task_type`. */
export function looksLikeShopBenchRow(rowText: string | undefined): boolean {
  if (rowText === undefined) return false;
  try {
    const value: unknown = JSON.parse(rowText);
    return (
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      'input_field' in value &&
      'task_type' in value
    );
  } catch {
    return false;
  }
}
