/**
 * The response cache's folder layout, shared by the engine that writes it
 * (server/llm/responseCache.ts) and "MCPO: Clear Response Cache", which removes only these
 * entries: the append-only log `<cacheDir>/responses.v1.jsonl` (one line per answer), and the
 * older layout's `<cacheDir>/<first two hex digits of the key>/<sha256 key>.json` files, still
 * read. Anything else in the cache folder (the demo model) is not the response cache's.
 */

/** The log's file name (the version is its line format's). */
export const CACHE_LOG_FILE = 'responses.v1.jsonl';

/** A fan-out folder's name (older layout). */
export const CACHE_FANOUT_FOLDER = /^[0-9a-f]{2}$/;

/** An entry's file name. */
export const CACHE_ENTRY_FILE = /^[0-9a-f]{64}\.json$/;

/** The fan-out folder and file name of the entry with this sha256 key (hex). */
export function cacheEntryPath(key: string): [folder: string, file: string] {
  return [key.slice(0, 2), `${key}.json`];
}
