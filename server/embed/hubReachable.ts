/**
 * Whether the model hub can be reached at all, found out with one TCP connection (a DNS lookup
 * and a connect) before paying for transformers.js and onnxruntime (about half a second of
 * loading) only to watch its download fail. Only a definite "no" counts: anything else, the
 * download is attempted as before, so a hub that can be had is never hidden.
 */
import * as net from 'node:net';

/**
 * transformers.js's `env.remoteHost` as it comes (the engine never changes it): where a download
 * would go. A test pins it to the installed package's value.
 */
export const DEFAULT_REMOTE_HOST = 'https://huggingface.co/';

/** Errors that mean the same connection from transformers.js's fetch would fail too. */
const UNREACHABLE = new Set([
  'ENOTFOUND', // no such host (no DNS for it here)
  'EAI_AGAIN', // the resolver cannot answer
  'ECONNREFUSED',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ETIMEDOUT',
]);

/** The connect timeout of Node's fetch (undici): it would give up on a silent host then too. */
const CONNECT_TIMEOUT_MS = 10_000;

/** Node's fetch goes through a proxy when told to; a direct connection then proves nothing. */
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY'];

/**
 * Why `remoteHost` cannot be reached (e.g. "getaddrinfo ENOTFOUND huggingface.co"), or undefined
 * when it can, or when this check cannot tell (a proxy is set, the URL is not http(s)).
 */
export async function hubUnreachableReason(
  remoteHost: string = DEFAULT_REMOTE_HOST,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  if (PROXY_VARIABLES.some((name) => env[name])) return undefined;
  let url: URL;
  try {
    url = new URL(remoteHost);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  // The URL's hostname keeps an IPv6 address in brackets; connect wants it bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (reason: string | undefined): void => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(CONNECT_TIMEOUT_MS, () =>
      done(`connecting to ${host}:${port} timed out after ${CONNECT_TIMEOUT_MS / 1000} s`),
    );
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done(err.code !== undefined && UNREACHABLE.has(err.code) ? err.message : undefined),
    );
  });
}
