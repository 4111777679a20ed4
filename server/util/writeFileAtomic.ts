import * as fs from 'node:fs';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';

/**
 * Writes a file so that no reader (another process polling it, a crash halfway) ever sees it half
 * written: the data goes to a temporary file beside it, which is then renamed over the target.
 * The parent folder is created if needed.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Named by process and thread: the engine's worker threads may write the same file at once.
  const tmp = `${file}.${process.pid}-${threadId}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}
