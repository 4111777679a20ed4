/**
 * Fixes as the command line words them (see protocol/fixHints.ts): a choice as its flag and value
 * (or the environment variable that stands for it), something to run as its command line. VS
 * Code's settings and commands are never named here: the CLI user cannot click them.
 */
import { withFixes, type Fix } from '../protocol/fixHints';

/** "--similarity-k 0", "--slurm-url <url> (or SLURM_URL)", "mcpo run --resume DIR"; undefined when the CLI has no way. */
export function cliFixText(fix: Fix): string | undefined {
  if (fix.kind === 'command') return fix.cli;
  const value =
    fix.value !== undefined ? ` ${fix.value}` : fix.placeholder ? ` <${fix.placeholder}>` : '';
  if (fix.flag) return `${fix.flag}${value}${fix.env ? ` (or ${fix.env})` : ''}`;
  return fix.env ? `${fix.env}=${value.trim() || '…'}` : undefined;
}

/** `message` with its fixes as the CLI words them. */
export function cliMessage(message: string, fixes: readonly Fix[] | undefined): string {
  return withFixes(message, fixes, cliFixText);
}
