/**
 * What Check Endpoints says (free of `vscode`, so unit-tested): one line per endpoint, a failed
 * one's fixes worded as VS Code has them, and the same buttons a failed command offers
 * (errorActions.ts): a URL setting without http:// reads and acts as it does when a run meets it.
 */
import type { EndpointHealth } from '../server/protocol/runs';
import type { Fix } from '../server/protocol/fixHints';
import { errorActions, vscodeMessage } from './errorActions';

export interface EndpointCheckMessage {
  ok: boolean;
  /** Without the "MCPO: " prefix. */
  text: string;
  fixes: Fix[];
  actions: string[];
}

export function endpointCheckMessage(endpoints: readonly EndpointHealth[]): EndpointCheckMessage {
  const text = endpoints
    .map(
      (e) =>
        `${e.role.toUpperCase()} ${e.model}: ${e.ok ? 'OK' : vscodeMessage(e.message, e.fixes)}`,
    )
    .join(' · ');
  const ok = endpoints.every((e) => e.ok);
  const fixes = endpoints.flatMap((e) => (e.ok ? [] : (e.fixes ?? [])));
  return { ok, text, fixes, actions: ok ? [] : errorActions('mcpo.checkEndpoints', text, fixes) };
}
