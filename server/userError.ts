import type { Fix } from './protocol/fixHints';

/** A UserError's options: its cause, and how to fix it. */
export interface UserErrorOptions extends ErrorOptions {
  /** How to fix it (default: the cause's fixes), worded by each surface: see protocol/fixHints.ts. */
  fixes?: readonly Fix[];
}

/**
 * The one base of every failure a user can act on (a bad flag, a broken row, an unreachable
 * server): the CLI prints its message as one line with `exitCode` and its fixes as flags, the
 * language server sends it without a stack trace and its fixes as the response's data (VS Code
 * words them as settings and commands). Anything that is not a UserError is a bug and keeps its stack.
 */
export class UserError extends Error {
  /** The CLI's exit code: 1 for bad input or a failed operation. */
  readonly exitCode: number = 1;
  /** How to fix it; the message says what is wrong and never words these itself. */
  fixes: readonly Fix[];

  constructor(message: string, options?: UserErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.fixes = options?.fixes ?? fixesOf(options?.cause);
  }
}

/** The fixes `err` carries: a UserError's, none for anything else. */
export function fixesOf(err: unknown): readonly Fix[] {
  return err instanceof UserError ? err.fixes : [];
}

/** `err` with `fixes` (for an error class whose constructor takes no options). */
export function fixedBy<E extends UserError>(err: E, fixes: readonly Fix[]): E {
  err.fixes = fixes;
  return err;
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
