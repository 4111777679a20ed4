/**
 * The `fetch` the openai SDK uses for model servers: node:http(s) with keep-alive, not Node's
 * built-in fetch (undici).
 *
 * Why: undici parses HTTP with llhttp compiled to WebAssembly. After the first few responses
 * V8 tiers that module up with TurboFan: about 200 ms of CPU on a background thread, and a
 * process that has finished waits for that compile before it exits. A cached re-run through
 * the CLI made one request and still spent 150-200 ms of its 0.5 s waiting there. node:http
 * parses with the native llhttp: no compile, no wait.
 *
 * Bodies are read whole before the Response is returned: the engine never streams, and the
 * SDK then gets a Response (json(), text(), headers) over the bytes in memory.
 * Network failures reject like undici's: TypeError("fetch failed") with the cause attached,
 * which the SDK turns into APIConnectionError.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as zlib from 'node:zlib';

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * One keep-alive agent per origin for the whole process, so the runs of a language server reuse
 * their connections. Free sockets are unref'd by Node's agent, so they never hold a CLI open.
 * No socket cap: each client's semaphore is the concurrency limit.
 */
const agents = new Map<string, http.Agent>();

function agentFor(url: URL): http.Agent {
  let agent = agents.get(url.origin);
  if (agent === undefined) {
    const options: http.AgentOptions = { keepAlive: true, scheduling: 'lifo' };
    agent = url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
    agents.set(url.origin, agent);
  }
  return agent;
}

/** Statuses whose Response may not have a body (the constructor throws if given one). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

export const nodeHttpFetch: Fetch = async (input, init = {}) => {
  if (typeof input !== 'string' && !(input instanceof URL))
    throw new TypeError('nodeHttpFetch takes a URL, not a Request');
  const url = new URL(input);
  const signal = init.signal ?? undefined;
  if (signal?.aborted) throw abortReason(signal);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TypeError(`fetch failed: unsupported protocol ${url.protocol}`);
  const body = requestBody(init.body);
  const headers = requestHeaders(init.headers);
  if (body !== undefined) headers['content-length'] = String(body.byteLength);

  return new Promise<Response>((resolve, reject) => {
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, {
      method: init.method ?? 'GET',
      headers,
      agent: agentFor(url),
    });
    const onAbort = (): void => {
      request.destroy();
      reject(abortReason(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const fail = (cause: unknown): void => {
      signal?.removeEventListener('abort', onAbort);
      reject(new TypeError('fetch failed', { cause }));
    };
    request.on('error', fail);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      // A body cut off mid-way ends in 'aborted'/'error' on the request or response, not 'end'.
      response.on('error', fail);
      response.on('close', () => {
        if (!response.complete) fail(new Error('other side closed before the body was complete'));
      });
      response.on('end', () => {
        signal?.removeEventListener('abort', onAbort);
        try {
          resolve(toResponse(response, Buffer.concat(chunks)));
        } catch (err) {
          fail(err);
        }
      });
    });
    request.end(body);
  });
};

function toResponse(response: http.IncomingMessage, raw: Buffer): Response {
  const status = response.statusCode ?? 0;
  const encoding = response.headers['content-encoding']?.toLowerCase();
  const body = decode(raw, encoding);
  const headers: [string, string][] = [];
  for (let i = 0; i < response.rawHeaders.length; i += 2) {
    const name = response.rawHeaders[i].toLowerCase();
    // The body handed on is decoded, so its encoding and length headers no longer describe it.
    if (body !== raw && (name === 'content-encoding' || name === 'content-length')) continue;
    headers.push([name, response.rawHeaders[i + 1]]);
  }
  const init = { status, statusText: response.statusMessage ?? '', headers };
  return NULL_BODY_STATUSES.has(status) ? new Response(null, init) : bufferedResponse(body, init);
}

/**
 * A Response over a body already in memory. undici's Response wraps any body in a web
 * ReadableStream and reads it back through the stream machinery for json() and text(): 50-70 us
 * of main-thread CPU per response once warm, 180 us cold, against about 6 us (warm) and 24 us
 * (cold) here (measured side by side, 2,000 responses each). The SDK reads a non-streamed answer
 * with json() or text(); `body` still gives a stream for code that wants one. The body methods
 * are the instance's own properties: undici's types declare them as properties, not methods.
 */
function bufferedResponse(bytes: Buffer, init: ResponseInit): Response {
  const response = new Response(null, init);
  let used = false;
  let stream: ReadableStream<Uint8Array> | undefined;
  // A body is read once, as with any Response.
  const take = (): Buffer => {
    if (used) throw new TypeError('Body is unusable: Body has already been read');
    used = true;
    return bytes;
  };
  Object.defineProperties(response, {
    body: { get: () => (stream ??= new Blob([bytes]).stream()) },
    bodyUsed: { get: () => used },
    text: { value: async () => take().toString('utf8') },
    json: { value: async () => JSON.parse(take().toString('utf8')) as unknown },
    arrayBuffer: { value: async () => new Uint8Array(take()).buffer },
    blob: {
      value: async () => new Blob([take()], { type: response.headers.get('content-type') ?? '' }),
    },
    clone: {
      value: () => {
        if (used) throw new TypeError('Response.clone: Body has already been consumed.');
        return bufferedResponse(bytes, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        });
      },
    },
  });
  return response;
}

/** Bodies arrive as sent (we send no Accept-Encoding), but a proxy may compress anyway. */
function decode(raw: Buffer, encoding: string | undefined): Buffer {
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(raw);
    case 'deflate':
      return zlib.inflateSync(raw);
    case 'br':
      return zlib.brotliDecompressSync(raw);
    default:
      return raw;
  }
}

function requestHeaders(input: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (input === undefined) return out;
  // Headers joins repeated names with ", " as HTTP allows; so does the array form here.
  for (const [name, value] of new Headers(input)) out[name] = value;
  return out;
}

function requestBody(body: RequestInit['body']): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // The SDK sends JSON strings for every call the engine makes; anything else is a bug here.
  throw new TypeError('nodeHttpFetch sends string or byte bodies only');
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}
