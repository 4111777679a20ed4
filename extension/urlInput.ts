/**
 * The check of Configure Endpoints' URL input boxes (free of `vscode`, so unit-tested): a URL
 * without http:// was saved as typed, and only the status said later "Invalid URL". The rule is
 * the engine's (server/protocol/settings.ts), so the wizard accepts exactly what a run accepts.
 */
import { endpointUrlProblem } from '../server/protocol/settings';

/**
 * Why `value` cannot be saved as an endpoint URL, or undefined when it can. `emptyAllowed`: an
 * empty M_S URL means "no small model", which is a valid answer.
 */
export function urlInputProblem(value: string, emptyAllowed = false): string | undefined {
  const url = value.trim();
  if (url === '')
    return emptyAllowed ? undefined : 'Type the server URL, e.g. http://localhost:8000/v1';
  return endpointUrlProblem(url);
}
