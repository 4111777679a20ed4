/**
 * A run is a folder: `config.json` (the exact configuration, without secrets) and
 * `records.jsonl`, one line appended per question the moment it finishes. Each line goes out in
 * one write(2) on a file opened for appending, so killing the process at any moment loses no
 * finished question; a line cut short by a crash is dropped (and truncated away) on reopening.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/writeFileAtomic';
import type { RunConfig, RunRecord } from './runTypes';
import { answeredNotScored } from '../protocol/runLabels';
import { UserError } from '../userError';
import { openForReading } from '../util/openForReading';

export const CONFIG_FILE = 'config.json';
export const RECORDS_FILE = 'records.jsonl';

export class RunStoreError extends UserError {}

export class RunStore {
  private fd: number | undefined;

  private constructor(
    readonly dir: string,
    readonly config: RunConfig,
    /** The latest record per question index (a retried question supersedes its failure). */
    readonly records: Map<number, RunRecord>,
  ) {}

  /** Creates a new run folder; refuses to overwrite an existing run. */
  static create(dir: string, config: RunConfig): RunStore {
    if (fs.existsSync(path.join(dir, CONFIG_FILE))) {
      throw new RunStoreError(
        `${dir} already holds a run; use --resume ${dir} to finish it, or choose another --out`,
      );
    }
    fs.mkdirSync(dir, { recursive: true });
    writeFileAtomic(path.join(dir, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
    fs.writeFileSync(path.join(dir, RECORDS_FILE), '', { flag: 'a' });
    return new RunStore(dir, config, new Map());
  }

  /**
   * Opens an existing run. Readers (reports, the panel) only read; `repair` (resuming, the one
   * writer) also cuts a partial last line off the file: a reader doing that could cut records
   * another process is still appending.
   */
  static open(dir: string, options: { repair?: boolean } = {}): RunStore {
    const configPath = path.join(dir, CONFIG_FILE);
    let config: RunConfig;
    try {
      config = JSON.parse(fs.readFileSync(configPath, 'utf8')) as RunConfig;
    } catch (err) {
      const reason =
        (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (err as Error).message;
      throw new RunStoreError(`${configPath}: ${reason} (is ${dir} a run folder?)`);
    }
    return new RunStore(
      dir,
      config,
      readRecords(path.join(dir, RECORDS_FILE), options.repair ?? false),
    );
  }

  /**
   * A resume's scoring models (scoring options, not the pipeline's configuration): used from now
   * on and recorded in config.json, so reports and later resumes score with the same models.
   */
  setScoring(scoring: Partial<RunConfig['scoring']>): void {
    const old = this.config.scoring;
    const next = {
      embedModel: scoring.embedModel ?? old.embedModel,
      multilingualEmbedModel: scoring.multilingualEmbedModel ?? old.multilingualEmbedModel,
    };
    if (JSON.stringify(next) === JSON.stringify(old)) return;
    this.config.scoring = next;
    writeFileAtomic(path.join(this.dir, CONFIG_FILE), `${JSON.stringify(this.config, null, 2)}\n`);
  }

  /** Appends one finished question. */
  append(record: RunRecord): void {
    this.fd ??= fs.openSync(path.join(this.dir, RECORDS_FILE), 'a');
    fs.writeSync(this.fd, `${JSON.stringify(record)}\n`);
    this.records.set(record.index, record);
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /**
   * Question indices that still need running: never run, failed, or answered but not scorable
   * then (e.g. no embedding model); the response cache makes re-running those free.
   */
  pending(indices: readonly number[]): number[] {
    return indices.filter((i) => {
      const r = this.records.get(i);
      return r === undefined || r.status !== 'ok' || answeredNotScored(r);
    });
  }
}

/** Reads records, keeping the last per index; a trailing partial line (a crash mid-write) is ignored, and with `repair` cut off the file. */
function readRecords(file: string, repair: boolean): Map<number, RunRecord> {
  const records = new Map<number, RunRecord>();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return records;
  }
  const complete = text.lastIndexOf('\n') + 1;
  if (repair && complete < text.length)
    fs.truncateSync(file, Buffer.byteLength(text.slice(0, complete)));
  let lineNumber = 0;
  for (const line of text.slice(0, complete).split('\n')) {
    lineNumber++;
    if (line.trim() === '') continue;
    let record: RunRecord;
    try {
      record = JSON.parse(line) as RunRecord;
    } catch (err) {
      throw new RunStoreError(
        `${file}:${lineNumber}: not a JSON record (${(err as Error).message})`,
      );
    }
    records.set(record.index, record);
  }
  return records;
}

/** A sortable, unique run id: 2026-11-27T15-30-12-ab12. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().slice(0, 19).replace(/:/g, '-')}-${crypto.randomBytes(2).toString('hex')}`;
}

/** sha256 of a file, streamed (datasets can be large). */
export async function fileSha256(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  const handle = await openForReading(file);
  for await (const chunk of handle.createReadStream()) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
