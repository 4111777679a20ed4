import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Writes a file so that no reader (another process polling it, a crash halfway) ever sees it half
 * written: the data goes to a temporary file beside it, which is then renamed over the target.
 * The parent folder is created if needed.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}
