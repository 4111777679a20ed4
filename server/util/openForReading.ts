import * as fs from 'node:fs';

/**
 * Opens `file` for reading. Node opens a folder without complaint and fails only at the first
 * read, with an EISDIR error that carries no path; this fails at once with the path, like a
 * missing file, so the user reads "cannot open <path>: it is a folder, not a file".
 */
export async function openForReading(file: string): Promise<fs.promises.FileHandle> {
  const handle = await fs.promises.open(file, 'r');
  if ((await handle.stat()).isDirectory()) {
    await handle.close();
    throw Object.assign(new Error(`EISDIR: illegal operation on a directory, open '${file}'`), {
      code: 'EISDIR',
      syscall: 'open',
      path: file,
    });
  }
  return handle;
}
