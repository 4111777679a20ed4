import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const created: string[] = [];

/**
 * A fresh folder under the OS temp dir, removed when the test process exits, whether its tests
 * passed or failed (node --test runs each file in its own process): tests leave nothing in /tmp.
 */
export function tempDir(prefix: string): string {
  if (created.length === 0) process.once('exit', removeAll);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

function removeAll(): void {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}
