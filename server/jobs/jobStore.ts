/**
 * Job records on disk: `.mcpo/jobs/<id>.json` plus the job's folder `.mcpo/jobs/<id>/`, so a
 * restarted CLI (or another terminal) still knows every job it submitted.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/writeFileAtomic';
import { JobError, type JobRecord } from './jobTypes';

export const DEFAULT_JOBS_DIR = path.join('.mcpo', 'jobs');

export class JobStore {
  readonly root: string;
  constructor(root: string = process.env.MCPO_JOBS_DIR ?? DEFAULT_JOBS_DIR) {
    this.root = path.resolve(root);
  }

  newId(kind: string): string {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
    return `${kind}-${stamp}-${crypto.randomBytes(3).toString('hex')}`;
  }

  dirOf(id: string): string {
    return path.join(this.root, id);
  }

  save(record: JobRecord): void {
    // A poller and a `job status` in another terminal never see half a record.
    writeFileAtomic(
      path.join(this.root, `${record.id}.json`),
      `${JSON.stringify(record, null, 2)}\n`,
    );
  }

  remove(id: string): void {
    fs.rmSync(path.join(this.root, `${id}.json`), { force: true });
  }

  load(id: string): JobRecord {
    if (!/^[\w.-]+$/.test(id)) throw new JobError(`"${id}" is not a job id (see mcpo job list)`);
    const file = path.join(this.root, `${id}.json`);
    if (!fs.existsSync(file))
      throw new JobError(`no job "${id}" in ${this.root} (see mcpo job list)`);
    return readRecord(file);
  }

  /** Every readable record; a damaged one is reported through `onBadRecord` and skipped, never fatal. */
  list(
    onBadRecord: (message: string) => void = (m) => process.stderr.write(`${m}\n`),
  ): JobRecord[] {
    if (!fs.existsSync(this.root)) return [];
    const records: JobRecord[] = [];
    for (const f of fs.readdirSync(this.root).filter((name) => name.endsWith('.json'))) {
      try {
        records.push(readRecord(path.join(this.root, f)));
      } catch (err) {
        onBadRecord((err as Error).message);
      }
    }
    return records.sort((a, b) => a.submittedAt.localeCompare(b.submittedAt));
  }
}

function readRecord(file: string): JobRecord {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as JobRecord;
  } catch (err) {
    throw new JobError(`${file}: not a job record (${(err as Error).message})`);
  }
}

/** The job's output: every file under logs/, in name order, each under a header. */
export function readLogs(record: JobRecord): string {
  const dir = path.join(record.dir, 'logs');
  if (!fs.existsSync(dir)) return '';
  return fs
    .readdirSync(dir)
    .sort()
    .map((f) => `==> ${path.join(dir, f)} <==\n${fs.readFileSync(path.join(dir, f), 'utf8')}`)
    .join('\n');
}
