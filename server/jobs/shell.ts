/**
 * Shell quoting for generated batch scripts. Every piece of user text (names, paths, model ids)
 * reaches a script only through `shQuote`: inside single quotes bash expands nothing ($(), ``,
 * $VAR, newlines stay literal), and a single quote itself is closed, escaped and reopened.
 */

/** Quotes one word for bash. NUL cannot exist in a shell word, so it is refused. */
export function shQuote(word: string): string {
  if (word.includes('\0')) throw new Error('a NUL character cannot be passed to a shell script');
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Quotes an argv list into one command line. */
export function shCommand(argv: readonly string[]): string {
  return argv.map(shQuote).join(' ');
}
