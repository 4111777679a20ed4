/**
 * Content-addressed on-disk cache of LLM responses. Re-running a pipeline with identical
 * prompts and sampling should cost nothing, and a crashed run must never poison later ones.
 *
 * One append-only log per folder, `responses.v1.jsonl`: each answer is one JSON line
 * `{"key", "text", "usage"?, "finishReason"?, "storedAt"}`, and the last line of a key wins.
 * Answers that come in together are appended in one write(2) (server/util/lineAppender.ts), so
 * a process killed at any moment leaves at most a partial last line, which is skipped (and the
 * next write starts a fresh line). The log is indexed once (key to byte range) on the first
 * lookup; a hit reads its line back. Before, every answer was its own file (mkdir, write a temp
 * file, rename; a miss was a failed open): a few file-system calls per request on the thread
 * that also answers the editor. Entries of that older layout (dir/ab/<key>.json) are still
 * read when they exist.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { JsonValue, Sampling, TokenUsage } from './types';
import { LineAppender } from '../util/lineAppender';
import { CACHE_FANOUT_FOLDER, CACHE_LOG_FILE, cacheEntryPath } from '../protocol/cacheLayout';

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
  /** How often (ms) a missed lookup may read lines other processes appended since; default 1000. */
  refreshMs?: number;
  /** Called on each miss: a request is about to go to the model. */
  onMiss?: () => void;
}

/** The log's file name in the cache folder (server/protocol/cacheLayout.ts). */
export const RESPONSE_LOG = CACHE_LOG_FILE;

interface Stored {
  value: CachedResponse;
  storedAt?: number;
}

/** Where a key's last line is in the log. */
interface LogRange {
  offset: number;
  length: number;
}

export class ResponseCache {
  /** Key to its last line in the log, from the bytes read so far (`indexed`). */
  private readonly index = new Map<string, LogRange>();
  private indexed = 0;
  private lastRefresh = 0;
  private loaded: Promise<void> | undefined;
  private refreshing: Promise<void> | undefined;
  /** Whether entries of the one-file-per-answer layout exist here (looked up on a miss). */
  private legacy = false;
  /** What this process appended: where it landed is unknown, since other processes append too. */
  private readonly written = new Map<string, Stored>();
  private readonly log: LineAppender;

  constructor(
    readonly dir: string,
    readonly options: ResponseCacheOptions = {},
  ) {
    this.log = new LineAppender(this.file);
  }

  get file(): string {
    return path.join(this.dir, RESPONSE_LOG);
  }

  /** sha256 of canonical JSON (sorted keys), so key order in the parts never changes the key. */
  key(parts: JsonValue): string {
    return createHash('sha256').update(canonicalJson(parts)).digest('hex');
  }

  /**
   * Indexes the log now rather than at the first lookup: a run does it while its endpoints are
   * checked, so its first questions do not wait for the file-system calls. Failures are the first
   * lookup's to meet (it treats an unreadable log as empty); the promise never rejects.
   */
  preload(): Promise<void> {
    this.loaded ??= this.load();
    return this.loaded.catch(() => undefined);
  }

  /** The stored response, or undefined for a miss, a damaged line, or an unreadable log. */
  async get(key: string): Promise<CachedResponse | undefined> {
    checkKey(key);
    const stored = this.written.get(key) ?? (await this.lookup(key));
    const replayFrom = this.options.replayFrom;
    if (
      stored === undefined ||
      (replayFrom !== undefined && (stored.storedAt ?? -Infinity) < replayFrom)
    ) {
      this.options.onMiss?.();
      return undefined;
    }
    return stored.value;
  }

  /** Appends the answer; answers put in the same turn of the event loop share one write. */
  async put(key: string, value: CachedResponse): Promise<void> {
    checkKey(key);
    const stored: CachedResponse = { text: value.text };
    if (value.usage !== undefined)
      stored.usage = {
        prompt_tokens: value.usage.prompt_tokens,
        completion_tokens: value.usage.completion_tokens,
      };
    if (value.finishReason !== undefined) stored.finishReason = value.finishReason;
    const storedAt = Date.now();
    this.written.set(key, { value: stored, storedAt });
    return this.log.append(`${JSON.stringify({ key, ...stored, storedAt })}\n`);
  }

  private async lookup(key: string): Promise<Stored | undefined> {
    try {
      this.loaded ??= this.load();
      await this.loaded;
      if (!this.index.has(key) && Date.now() - this.lastRefresh >= (this.options.refreshMs ?? 1000))
        await this.refresh();
      const at = this.index.get(key);
      if (at !== undefined) {
        const stored = await this.readLine(key, at);
        if (stored !== undefined) return stored;
      }
    } catch {
      // An unreadable log is a miss; the answer is asked again.
    }
    return this.legacy ? readLegacyEntry(this.dir, key) : undefined;
  }

  private async load(): Promise<void> {
    this.legacy = await hasLegacyEntries(this.dir);
    await this.refresh();
  }

  /** Indexes the log's complete lines past what was read before. */
  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        this.lastRefresh = Date.now();
        let handle: fs.FileHandle;
        try {
          handle = await fs.open(this.file, 'r');
        } catch {
          return; // no log yet
        }
        try {
          const { size } = await handle.stat();
          if (size <= this.indexed) return;
          const bytes = Buffer.alloc(size - this.indexed);
          const { bytesRead } = await handle.read(bytes, 0, bytes.length, this.indexed);
          this.indexLines(bytes.subarray(0, bytesRead));
        } finally {
          await handle.close();
        }
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /** `bytes` start at `this.indexed`; a trailing line without its newline waits for later. */
  private indexLines(bytes: Buffer): void {
    let start = 0;
    for (let nl = bytes.indexOf(0x0a); nl >= 0; nl = bytes.indexOf(0x0a, start)) {
      const key = keyOfLine(bytes.toString('utf8', start, nl));
      if (key !== undefined)
        this.index.set(key, { offset: this.indexed + start, length: nl - start });
      start = nl + 1;
    }
    this.indexed += start;
  }

  private async readLine(key: string, at: LogRange): Promise<Stored | undefined> {
    const handle = await fs.open(this.file, 'r');
    try {
      const bytes = Buffer.alloc(at.length);
      const { bytesRead } = await handle.read(bytes, 0, at.length, at.offset);
      const line = parseLine(bytes.toString('utf8', 0, bytesRead));
      return line?.key === key ? line.stored : undefined;
    } finally {
      await handle.close();
    }
  }
}

function checkKey(key: string): void {
  // Keys come from key(); refuse anything else so a bad key can never reach a file name.
  if (!KEY_PATTERN.test(key)) throw new Error(`invalid cache key: ${JSON.stringify(key)}`);
}

/** One log line as key and entry; undefined for a damaged line. */
function parseLine(line: string): { key: string; stored: Stored } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || typeof value['key'] !== 'string' || !KEY_PATTERN.test(value['key']))
    return undefined;
  const stored = parseStored(value);
  return stored && { key: value['key'], stored };
}

function keyOfLine(line: string): string | undefined {
  return parseLine(line)?.key;
}

/** The folder holds two-hex-digit fan-out folders of the one-file-per-answer layout. */
async function hasLegacyEntries(dir: string): Promise<boolean> {
  try {
    return (await fs.readdir(dir)).some((name) => CACHE_FANOUT_FOLDER.test(name));
  } catch {
    return false;
  }
}

/** An entry of the older layout, dir/ab/<key>.json; undefined when absent or damaged. */
async function readLegacyEntry(dir: string, key: string): Promise<Stored | undefined> {
  try {
    return parseStored(
      JSON.parse(await fs.readFile(path.join(dir, ...cacheEntryPath(key)), 'utf8')),
    );
  } catch {
    return undefined;
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
