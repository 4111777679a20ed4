/**
 * Appends lines to a log file (the response cache, the score cache): the lines of one turn of
 * the event loop go out in one write(2) to a file opened for appending, off the main thread, so a
 * run that stores something per answer costs one small write per turn instead of synchronous
 * file-system calls per answer. A process killed mid-write leaves at most a partial last line;
 * the next write starts on a new line, so readers skip the damaged one and lose nothing else.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export class LineAppender {
  private queue: string[] = [];
  private flushing: Promise<void> | undefined;
  private folderMade = false;

  constructor(readonly file: string) {}

  /** Queues `line` (ending in "\n"); resolves once it is written, rejects if it could not be. */
  append(line: string): Promise<void> {
    this.queue.push(line);
    this.flushing ??= this.flush();
    return this.flushing;
  }

  /** Resolves once everything appended so far is written (or failed). */
  async flushed(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => undefined);
  }

  private async flush(): Promise<void> {
    try {
      // Let the other lines that arrive in this turn join the write.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.queue.length > 0) {
        const text = this.queue.splice(0).join('');
        if (!this.folderMade) {
          await fs.mkdir(path.dirname(this.file), { recursive: true });
          this.folderMade = true;
        }
        const handle = await fs.open(this.file, 'a+');
        try {
          const { size } = await handle.stat();
          const last = Buffer.alloc(1);
          if (size > 0) await handle.read(last, 0, 1, size - 1);
          await handle.write(size > 0 && last[0] !== 0x0a ? `\n${text}` : text);
        } finally {
          await handle.close();
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }
}
