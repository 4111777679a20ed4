/**
 * How to fix a problem, as data. The engine says once what fixes it; each surface words it: the
 * CLI as a flag, an environment variable or a command line (server/cli/fixText.ts), VS Code as a
 * setting to open or a command to run, each offered as a button (extension/errorActions.ts).
 * Fixes travel with a UserError (server/userError.ts), in an error response's data (FixData),
 * and in the notifications that carry a failure (RunStateParams). Dependency-free.
 */

/** One choice, made with a CLI flag (or an environment variable) or the VS Code setting that is the same choice. */
export interface OptionFix {
  kind: 'option';
  /**
   * What it achieves, the start of its sentence: "run without hints" is worded "To run without
   * hints: --similarity-k 0." Absent when the message already says it: then VS Code offers only
   * the button, and the CLI adds nothing.
   */
  to?: string;
  /** The CLI flag, e.g. '--similarity-k'; absent when only VS Code has the choice. */
  flag?: string;
  /** The value that fixes it, e.g. '0'; absent when the user brings their own (`placeholder`). */
  value?: string;
  /** What the user brings instead of a fixed value, e.g. 'hub id or folder' (the CLI writes <hub id or folder>). */
  placeholder?: string;
  /** The environment variable the CLI reads instead of the flag, e.g. 'SLURM_URL'. */
  env?: string;
  /** The VS Code setting, e.g. 'mcpo.similarity.k'; absent when only the CLI has the choice. */
  setting?: string;
}

/** Something to run: on the command line, and the VS Code command that does the same. */
export interface CommandFix {
  kind: 'command';
  /** As OptionFix.to. */
  to?: string;
  /** The CLI's way, e.g. 'mcpo run --resume /w/runs/r1'; absent when only VS Code has it. */
  cli?: string;
  /** The VS Code command, e.g. 'mcpo.resumeRun'. */
  command: string;
  /** Its title without the "MCPO:" category, as its button says it: 'Resume Run'. */
  title: string;
  /** The command's arguments (e.g. a run folder). */
  args?: string[];
}

export type Fix = OptionFix | CommandFix;

/** The data of an mcpo/* error response whose failure the engine knows a fix for. */
export interface FixData {
  fixes: Fix[];
}

function isFix(value: unknown): value is Fix {
  if (typeof value !== 'object' || value === null) return false;
  const fix = value as Partial<Record<keyof OptionFix | keyof CommandFix, unknown>>;
  return (
    fix.kind === 'option' ||
    (fix.kind === 'command' && typeof fix.command === 'string' && typeof fix.title === 'string')
  );
}

/** The fixes an error response's `data` carries (none when it is not FixData: it comes off the wire untyped). */
export function fixesOfData(data: unknown): Fix[] {
  const fixes = (data as Partial<FixData> | null | undefined)?.fixes;
  return Array.isArray(fixes) ? fixes.filter(isFix) : [];
}

/**
 * `message` and one sentence per fix that says what it is `to` and that `word` words on this
 * surface: "… did not load. To run without hints: --similarity-k 0."
 */
export function withFixes(
  message: string,
  fixes: readonly Fix[] | undefined,
  word: (fix: Fix) => string | undefined,
): string {
  const sentences: string[] = [];
  for (const fix of fixes ?? []) {
    const how = fix.to === undefined ? undefined : word(fix);
    if (how !== undefined) sentences.push(`To ${fix.to}: ${how}.`);
  }
  if (sentences.length === 0) return message;
  return `${/[.!?]$/.test(message) ? message : `${message}.`} ${sentences.join(' ')}`;
}
