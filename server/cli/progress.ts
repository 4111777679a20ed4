/** Progress on a terminal: downloads and finished questions, on one line that rewrites itself. */

export function percent(loaded: number, total: number): string {
  return total > 0 ? `${Math.floor((100 * loaded) / total)}%` : `${(loaded / 1e6).toFixed(1)} MB`;
}

/** A single self-overwriting stderr line, only on a terminal. */
export class ProgressLine {
  private shown = false;
  show(text: string): void {
    if (!process.stderr.isTTY) return;
    process.stderr.write(
      `\r${text.slice(0, (process.stderr.columns || 80) - 1).padEnd(this.shown ? 40 : 0)}`,
    );
    this.shown = true;
  }
  clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}
