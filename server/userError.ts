/**
 * The one base of every failure a user can act on (a bad flag, a broken row, an unreachable
 * server): the CLI prints its message as one line with `exitCode`, the language server sends it
 * without a stack trace. Anything that is not a UserError is a bug and keeps its stack.
 */
export class UserError extends Error {
  /** The CLI's exit code: 1 for bad input or a failed operation. */
  readonly exitCode: number = 1;
}

/** Wrong use of the command line (unknown flag, missing option): exit code 2. */
export class UsageError extends UserError {
  override readonly exitCode: number = 2;
}

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
};

/**
 * The one line a user sees: a UserError's message as it is; a file-system error as "cannot
 * open <path>: <reason>" instead of Node's "ENOENT: no such file or directory, open '<path>'".
 */
export function userMessage(err: Error): string {
  const { code, path: file, syscall } = err as NodeJS.ErrnoException;
  if (err instanceof UserError || !code || !(code in ERRNO_WORDS) || !file) return err.message;
  const verb = syscall === 'mkdir' ? 'create' : syscall === 'open' || !syscall ? 'open' : syscall;
  return `cannot ${verb} ${file}: ${ERRNO_WORDS[code]}`;
}

/** File-system failures a user can fix (a missing file, no permission) count as user errors. */
export function isUserFacing(err: unknown): err is Error {
  if (err instanceof UserError) return true;
  const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
  return code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'ENOTDIR';
}
