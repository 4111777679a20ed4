/**
 * Content-addressed on-disk cache of LLM responses. Re-running a pipeline with identical
 * prompts and sampling should cost nothing, and a crashed run must never poison later ones:
 * writes are atomic (temp file + rename) and anything unreadable is simply a miss.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { JsonValue, Sampling, TokenUsage } from './types';
import { cacheEntryPath } from '../protocol/cacheLayout';

/** Bump when a client changes what goes into its keys, so old entries stop matching. */
export const CACHE_KEY_VERSION = 1;

/** The sampling part of every client's cache key (an absent seed keys as null). */
export function samplingKey(sampling: Sampling): JsonValue {
  return {
    temperature: sampling.temperature,
    top_p: sampling.top_p,
    max_tokens: sampling.max_tokens,
    seed: sampling.seed ?? null,
  };
}

export interface CachedResponse {
  text: string;
  usage?: TokenUsage;
  finishReason?: string;
}

const KEY_PATTERN = /^[0-9a-f]{64}$/;

export interface ResponseCacheOptions {
  /**
   * Replay only answers stored at or after this time (ms since the epoch); older ones are misses
   * and are overwritten by the fresh answer. `mcpo run --no-cache` passes its start time, so
   * nothing from before is replayed while the arms of one ablation still share their requests.
   */
  replayFrom?: number;
}

export class ResponseCache {
  constructor(
    readonly dir: string,
    readonly options: ResponseCacheOptions = {},
  ) {}

  /** sha256 of canonical JSON (sorted keys), so key order in the parts never changes the key. */
  key(parts: JsonValue): string {
    return createHash('sha256').update(canonicalJson(parts)).digest('hex');
  }

  /** The stored response, or undefined for a miss, a corrupt or partial file, or an unreadable one. */
  async get(key: string): Promise<CachedResponse | undefined> {
    let raw: string;
    try {
      raw = await fs.readFile(this.pathFor(key), 'utf8');
    } catch {
      return undefined;
    }
    let stored: { value: CachedResponse; storedAt?: number } | undefined;
    try {
      stored = parseStored(JSON.parse(raw));
    } catch {
      return undefined;
    }
    const replayFrom = this.options.replayFrom;
    if (stored === undefined) return undefined;
    if (replayFrom !== undefined && (stored.storedAt ?? -Infinity) < replayFrom) return undefined;
    return stored.value;
  }

  async put(key: string, value: CachedResponse): Promise<void> {
    const file = this.pathFor(key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    // Unique temp name: concurrent writers of the same key must not interleave into one file.
    const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const stored: CachedResponse & { storedAt: number } = {
      text: value.text,
      storedAt: Date.now(),
    };
    if (value.usage !== undefined)
      stored.usage = {
        prompt_tokens: value.usage.prompt_tokens,
        completion_tokens: value.usage.completion_tokens,
      };
    if (value.finishReason !== undefined) stored.finishReason = value.finishReason;
    try {
      await fs.writeFile(temp, JSON.stringify(stored), 'utf8');
      await fs.rename(temp, file);
    } catch (err) {
      await fs.rm(temp, { force: true }).catch(() => {});
      throw err;
    }
  }

  /** dir/ab/abcdef....json: a two-character fan-out keeps directories small. */
  pathFor(key: string): string {
    // Keys come from key(); refuse anything else so a bad key can never escape the directory.
    if (!KEY_PATTERN.test(key)) throw new Error(`invalid cache key: ${JSON.stringify(key)}`);
    return path.join(this.dir, ...cacheEntryPath(key));
  }
}

/** JSON with object keys sorted recursively; undefined-valued keys dropped like JSON.stringify does. */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((k) => value[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`);
  return `{${entries.join(',')}}`;
}

/** Validates the shape instead of trusting the file: a wrong shape is as good as corrupt. */
function parseStored(value: unknown): { value: CachedResponse; storedAt?: number } | undefined {
  if (!isRecord(value)) return undefined;
  const cached = parseCached(value);
  if (cached === undefined) return undefined;
  // Entries written before storedAt existed have none: they count as older than any time.
  const storedAt = value['storedAt'];
  if (storedAt !== undefined && typeof storedAt !== 'number') return undefined;
  return { value: cached, storedAt };
}

function parseCached(value: Record<string, unknown>): CachedResponse | undefined {
  if (typeof value['text'] !== 'string') return undefined;
  const result: CachedResponse = { text: value['text'] };
  const usage = value['usage'];
  if (usage !== undefined) {
    if (
      !isRecord(usage) ||
      typeof usage['prompt_tokens'] !== 'number' ||
      typeof usage['completion_tokens'] !== 'number'
    )
      return undefined;
    result.usage = {
      prompt_tokens: usage['prompt_tokens'],
      completion_tokens: usage['completion_tokens'],
    };
  }
  const finishReason = value['finishReason'];
  if (finishReason !== undefined) {
    if (typeof finishReason !== 'string') return undefined;
    result.finishReason = finishReason;
  }
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
