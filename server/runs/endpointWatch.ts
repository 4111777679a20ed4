/**
 * Stops a run from sending to an endpoint that went away. Each question already retries its own
 * transient faults (retry.ts); but when the server is gone, every pending question would spend
 * its full retries and backoff on it, one after the other (a killed server took ~35 s and 5
 * attempts per question to give up). Here, once DOWN_AFTER questions in a row failed to reach
 * the endpoint at all (refused, reset, DNS, no response) with no answer from it in between, the
 * endpoint is taken as down: the questions waiting on it stop at once, the rest are not sent,
 * and all of them are recorded as failed with one message; how to resume is a fix (data) beside it.
 */
import { setMaxListeners } from 'node:events';
import { EndpointDownError, isConnectionFailure } from '../llm/retry';
import type { LlmClient, LlmRequest, LlmResponse } from '../llm/types';
import { rootCause } from '../llm/openaiClient';
import type { Fix } from '../protocol/fixHints';

/** Questions in a row that must fail to connect, each after all its retries. */
export const DOWN_AFTER = 3;

/** Said once per run and endpoint, when it is taken as down. */
export interface EndpointDown {
  /** model@host */
  endpoint: string;
  /** What failed and why. */
  message: string;
  /** How to go on: resume the run (worded by each surface). */
  fixes: Fix[];
}

/**
 * `client`, watched: after DOWN_AFTER connection failures in a row it stops sending and fails
 * every call with one EndpointDownError. `resume` is the command that finishes the run.
 */
export function watchEndpoint(
  client: LlmClient,
  resume: Fix,
  onDown: (down: EndpointDown) => void,
): LlmClient {
  const down = new AbortController();
  setMaxListeners(0, down.signal);
  let streak = 0;
  const reason = (): EndpointDownError => down.signal.reason as EndpointDownError;
  // The caller's signal combined with `down`, made once per caller signal: a run passes the same
  // signal with every call, and AbortSignal.any is costly (about 30 us, and weak references
  // that every garbage collection then walks), far too much to make anew for each request.
  let combinedFor: AbortSignal | undefined;
  let combined = down.signal;
  const either = (signal: AbortSignal | undefined): AbortSignal => {
    if (signal === undefined) return down.signal;
    if (signal !== combinedFor) {
      combinedFor = signal;
      combined = AbortSignal.any([signal, down.signal]);
      setMaxListeners(0, combined); // every request in flight listens to it
    }
    return combined;
  };
  const complete = async (request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> => {
    if (down.signal.aborted) throw reason();
    try {
      const response = await client.complete(request, either(signal));
      // A cached answer says nothing about the server.
      if (!response.cached) streak = 0;
      return response;
    } catch (err) {
      if (signal?.aborted) throw err;
      // Waiting for a slot, or between retries, when the endpoint was taken as down.
      if (down.signal.aborted) throw err instanceof EndpointDownError ? err : reason();
      if (!isConnectionFailure(err)) streak = 0;
      else if (++streak >= DOWN_AFTER) {
        const cause = rootCause(err);
        const message =
          `${client.label} is not answering: ${DOWN_AFTER} questions in a row could not reach it ` +
          `(${cause}), so its remaining questions were not sent. Finished questions are saved.`;
        down.abort(new EndpointDownError(`not sent: ${message}`));
        onDown({ endpoint: client.label, message, fixes: [resume] });
      }
      throw err;
    }
  };
  return {
    endpoint: client.endpoint,
    label: client.label,
    complete,
    check: (signal) => client.check(signal),
  };
}

/** How to finish the run in `dir`: `mcpo run --resume`, or VS Code's Resume Run. */
export function resumeHint(dir: string): Fix {
  return {
    kind: 'command',
    to: 'resume the run once the server is back',
    cli: `mcpo run --resume ${dir}`,
    command: 'mcpo.resumeRun',
    title: 'Resume Run',
    args: [dir],
  };
}
