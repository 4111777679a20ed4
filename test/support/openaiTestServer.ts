/**
 * A scripted, OpenAI-compatible HTTP server for pipeline tests.
 *
 * No real vLLM / llama.cpp server can run in CI, so this stands in for one: it speaks the
 * subset of the OpenAI wire format the pipeline uses (models list, chat and legacy
 * completions, streaming and not), answers deterministically, and can be told to fail in
 * the specific ways real inference servers fail (rate limits, resets, hangs, truncated
 * streams, garbage bodies, unknown models). It records every request and its concurrency so
 * tests can assert on what the client actually sent, and exposes events so tests wait on
 * requests instead of sleeping.
 */
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One injected failure, consumed by exactly one request. */
export type Fault =
  /** No fault: answered as usual, so a script can fail the requests after this one. */
  | { kind: 'none' }
  | { kind: 'status'; status: 429; retryAfterSeconds?: number }
  | { kind: 'status'; status: 500 }
  | { kind: 'reset' }
  | { kind: 'hang' }
  /** Streams part of the answer, then kills the socket; on a non-streaming request, half a JSON body. */
  | { kind: 'truncatedStream' }
  | { kind: 'invalidJson' }
  | { kind: 'wrongModel' };

export interface RecordedRequest {
  /** URL path including the /v1 prefix, without the query string. */
  path: string;
  method: string;
  /** Parsed JSON body; `{}` when the request had no body. */
  body: Readonly<Record<string, unknown>>;
  headers: http.IncomingHttpHeaders;
  /** `Date.now()` when the request body had been fully received. */
  receivedAt: number;
  /** Which TCP connection carried it (1, 2, ... in order of connection): shows keep-alive reuse. */
  connection: number;
}

export interface TestServerOptions {
  /** Model ids served; any other requested model gets OpenAI's 404 model_not_found. */
  models?: string[];
  /**
   * vLLM's `root` per served model id: the weights behind the served name (a hub id or path).
   * Listed in /v1/models like vLLM does; models without one are listed without `root`, like
   * llama.cpp's server or Ollama.
   */
  roots?: Readonly<Record<string, string>>;
  /** Produces the assistant text for a chat / completion request. */
  answer?: (request: RecordedRequest) => string;
  /** Simulated inference latency before every generation response starts (/v1/models answers at once). */
  latencyMs?: number;
  /** Gap between streamed SSE chunks, so tests can observe partial streams. */
  chunkDelayMs?: number;
  /** Port to listen on (default: any free port), so it can stand in for `vllm serve --port N`. */
  port?: number;
}

export interface OpenAiTestServer {
  /** e.g. `http://127.0.0.1:54321/v1`, ready for `new OpenAI({ baseURL })`. */
  readonly baseUrl: string;
  readonly requests: readonly RecordedRequest[];
  /** Requests received and not yet answered (or aborted). */
  readonly inFlight: number;
  /** Highest `inFlight` ever observed. */
  readonly maxInFlight: number;
  /** Queue faults for the next requests, in arrival order; later requests behave normally. */
  script(...faults: Fault[]): void;
  /**
   * Resolves once at least `n` requests (those `which` accepts, default all) have been received
   * (immediately if already so); rejects with the count so far when `timeoutMs` (default 30 s)
   * passes first: no test waits forever. A test that waits for a generation request says so
   * (`(r) => r.method === 'POST'`): endpoint checks (GETs) may come first in any number.
   */
  waitForRequests(
    n: number,
    timeoutMs?: number,
    which?: (request: RecordedRequest) => boolean,
  ): Promise<void>;
  /**
   * Holds every generation response (POST) until the returned function is called; requests are
   * still received, recorded and counted in flight. Lets a test see concurrency as an event
   * ("8 in flight at once") instead of hoping a latency is long enough.
   */
  hold(): () => void;
  /** Stops listening, destroys every open socket (releasing hung requests) and cancels timers. */
  close(): Promise<void>;
}

const DEFAULT_MODELS = ['test-model'];
const DEFAULT_ANSWER = '1';

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

type Endpoint = 'chat' | 'completions';

/** Everything a handler needs about one request, resolved before the response starts. */
interface Exchange {
  recorded: RecordedRequest;
  res: http.ServerResponse;
  fault: Fault | undefined;
}

export async function startOpenAiTestServer(
  options: TestServerOptions = {},
): Promise<OpenAiTestServer> {
  const impl = new TestServerImpl(options);
  await impl.listen();
  return impl;
}

/** A test server that closes when test `t` ends (the set-up most tests share). */
export async function openAiTestServerFor(
  t: { after: (fn: () => Promise<void>) => void },
  options: TestServerOptions = {},
): Promise<OpenAiTestServer> {
  const server = await startOpenAiTestServer(options);
  t.after(() => server.close());
  return server;
}

class TestServerImpl implements OpenAiTestServer {
  readonly requests: RecordedRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private readonly connectionIds = new WeakMap<Socket, number>();
  private connections = 0;

  private readonly models: string[];
  private readonly roots: Readonly<Record<string, string>>;
  private readonly answer: (request: RecordedRequest) => string;
  private readonly latencyMs: number;
  private readonly chunkDelayMs: number;
  private readonly faults: Fault[] = [];
  private readonly events = new EventEmitter();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly http: http.Server;
  private port = 0;
  private readonly listenPort: number;
  private closed = false;
  private held: Promise<void> | undefined;
  private idCounter = 0;

  constructor(options: TestServerOptions) {
    this.models = options.models ?? DEFAULT_MODELS;
    this.roots = options.roots ?? {};
    this.answer = options.answer ?? (() => DEFAULT_ANSWER);
    this.latencyMs = options.latencyMs ?? 0;
    this.chunkDelayMs = options.chunkDelayMs ?? 0;
    this.listenPort = options.port ?? 0;
    // Many tests may wait concurrently; the default limit of 10 would only produce noise.
    this.events.setMaxListeners(0);
    this.http = http.createServer((req, res) => void this.onRequest(req, res));
    this.http.on('connection', (socket) => this.trackSocket(socket));
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.listenPort, '127.0.0.1', () => {
        this.port = (this.http.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  script(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  waitForRequests(
    n: number,
    timeoutMs = 30_000,
    which: (request: RecordedRequest) => boolean = () => true,
  ): Promise<void> {
    const count = (): number => this.requests.filter(which).length;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.events.off('request', check);
        reject(new Error(`only ${count()} of ${n} requests arrived within ${timeoutMs} ms`));
      }, timeoutMs);
      // A forgotten waiter must not keep the test process alive.
      timer.unref();
      const check = (): void => {
        if (count() < n) return;
        clearTimeout(timer);
        this.events.off('request', check);
        resolve();
      };
      this.events.on('request', check);
      check();
    });
  }

  hold(): () => void {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    this.held = held;
    return () => {
      if (this.held === held) this.held = undefined;
      release();
    };
  }

  close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    // server.close() alone waits for keep-alive and hung connections forever.
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.http.close(() => resolve()));
  }

  private trackSocket(socket: Socket): void {
    this.sockets.add(socket);
    this.connectionIds.set(socket, ++this.connections);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // Take the fault at arrival, before any await, so the queue follows arrival order.
    const fault = this.faults.shift();
    this.trackInFlight(res);
    const raw = await readBody(req);
    const recorded: RecordedRequest = {
      path: (req.url ?? '/').split('?')[0],
      method: req.method ?? 'GET',
      body: parseBody(raw),
      headers: req.headers,
      receivedAt: Date.now(),
      connection: this.connectionIds.get(req.socket) ?? 0,
    };
    this.requests.push(recorded);
    this.events.emit('request', recorded);
    if (recorded.body === INVALID_BODY) {
      sendError(res, 400, 'Request body is not valid JSON', 'invalid_request_error', null);
      return;
    }
    // Latency models inference time; /v1/models answers at once, as a real server's does.
    if (recorded.method === 'POST') await this.delay(this.latencyMs);
    if (recorded.method === 'POST' && this.held) await this.held;
    if (this.closed || res.destroyed) return;
    await this.respond({ recorded, res, fault });
  }

  /** Counts a request as in flight until its response is finished or its socket dies. */
  private trackInFlight(res: http.ServerResponse): void {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.once('close', () => {
      this.inFlight -= 1;
    });
  }

  private async respond(exchange: Exchange): Promise<void> {
    const { recorded, res, fault } = exchange;
    if (fault !== undefined && fault.kind !== 'truncatedStream' && fault.kind !== 'none') {
      this.applyFault(fault, recorded, res);
      return;
    }
    const endpoint = endpointOf(recorded);
    if (recorded.method === 'GET' && recorded.path === '/v1/models') {
      sendJson(res, 200, this.modelList());
      return;
    }
    if (endpoint === undefined) {
      sendError(
        res,
        404,
        `Unknown endpoint ${recorded.method} ${recorded.path}`,
        'invalid_request_error',
        null,
      );
      return;
    }
    const model = requestedModel(recorded);
    if (!this.models.includes(model)) {
      sendModelNotFound(res, model);
      return;
    }
    await this.complete(exchange, endpoint, model);
  }

  private applyFault(
    fault: Exclude<Fault, { kind: 'truncatedStream' | 'none' }>,
    recorded: RecordedRequest,
    res: http.ServerResponse,
  ): void {
    switch (fault.kind) {
      case 'status':
        sendStatusFault(res, fault);
        return;
      case 'reset':
        res.socket?.destroy();
        return;
      case 'hang':
        // Deliberately never answer; close() destroys the socket.
        return;
      case 'invalidJson':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id": "chatcmpl-broken", "choices": [');
        return;
      case 'wrongModel':
        sendModelNotFound(res, requestedModel(recorded));
        return;
    }
  }

  private async complete(exchange: Exchange, endpoint: Endpoint, model: string): Promise<void> {
    const { recorded, res, fault } = exchange;
    const text = this.answer(recorded);
    const usage = countUsage(recorded.body, text);
    const id = `${endpoint === 'chat' ? 'chatcmpl' : 'cmpl'}-test-${++this.idCounter}`;
    if (recorded.body['stream'] !== true) {
      if (fault?.kind === 'truncatedStream') {
        truncateJson(res, chatCompletion(id, model, text, usage));
        return;
      }
      sendJson(
        res,
        200,
        endpoint === 'chat'
          ? chatCompletion(id, model, text, usage)
          : textCompletion(id, model, text, usage),
      );
      return;
    }
    const chunks = streamChunks(endpoint, id, model, text, usage, wantsUsage(recorded.body));
    if (fault?.kind === 'truncatedStream') {
      await this.streamTruncated(res, chunks);
    } else {
      await this.stream(res, chunks);
    }
  }

  private async stream(res: http.ServerResponse, chunks: object[]): Promise<void> {
    startSse(res);
    for (const chunk of chunks) {
      if (!(await this.writeChunk(res, chunk))) return;
    }
    res.end('data: [DONE]\n\n');
  }

  /**
   * Sends the opening chunks (role + the first half of the text), then kills the connection
   * before the finish chunk and [DONE], the way a crashing inference server would.
   */
  private async streamTruncated(res: http.ServerResponse, chunks: object[]): Promise<void> {
    startSse(res);
    // Never reaches the finish_reason chunk: floor(n/2) < n-1 for n >= 3, and n=2 keeps 1.
    const keep = Math.max(1, Math.floor(chunks.length / 2));
    for (const chunk of chunks.slice(0, keep)) {
      if (!(await this.writeChunk(res, chunk))) return;
    }
    // Destroy only after the kernel has the bytes, so the client reliably sees the partial data.
    res.write('', () => res.socket?.destroy());
  }

  /** Writes one SSE event after the configured gap; false if the exchange is already gone. */
  private async writeChunk(res: http.ServerResponse, chunk: object): Promise<boolean> {
    await this.delay(this.chunkDelayMs);
    if (this.closed || res.destroyed) return false;
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    return true;
  }

  private modelList(): object {
    return {
      object: 'list',
      data: this.models.map((id) => ({
        id,
        object: 'model',
        created: 0,
        owned_by: 'openai-test-server',
        ...(this.roots[id] !== undefined ? { root: this.roots[id] } : {}),
      })),
    };
  }

  /** A timer that close() can cancel, so no simulated latency outlives the server. */
  private delay(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}

// ---------------------------------------------------------------------------------------
// Request helpers
// ---------------------------------------------------------------------------------------

/** Sentinel so an unparseable body is distinguishable from an empty one. */
const INVALID_BODY: Readonly<Record<string, unknown>> = Object.freeze({});

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    // An aborted upload still counts as received, with whatever arrived.
    req.on('error', () => resolve(Buffer.concat(parts).toString('utf8')));
  });
}

function parseBody(raw: string): Readonly<Record<string, unknown>> {
  if (raw === '') return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    return isRecord(parsed) ? parsed : INVALID_BODY;
  } catch {
    return INVALID_BODY;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function endpointOf(request: RecordedRequest): Endpoint | undefined {
  if (request.method !== 'POST') return undefined;
  if (request.path === '/v1/chat/completions') return 'chat';
  if (request.path === '/v1/completions') return 'completions';
  return undefined;
}

function requestedModel(request: RecordedRequest): string {
  const model = request.body['model'];
  return typeof model === 'string' ? model : '';
}

function wantsUsage(body: Readonly<Record<string, unknown>>): boolean {
  const streamOptions = body['stream_options'];
  return isRecord(streamOptions) && streamOptions['include_usage'] === true;
}

/**
 * The prompt as plain text: chat message contents (string or text parts) or the completion
 * prompt. Exported so `answer` callbacks can script replies from the prompt.
 */
export function promptText(request: Pick<RecordedRequest, 'body'>): string {
  const { messages, prompt } = request.body;
  if (Array.isArray(messages)) return messages.map(messageText).join('\n');
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt))
    return prompt.filter((p): p is string => typeof p === 'string').join('\n');
  return '';
}

function messageText(message: unknown): string {
  if (!isRecord(message)) return '';
  const content = message['content'];
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (isRecord(part) && typeof part['text'] === 'string' ? part['text'] : ''))
    .join(' ');
}

/** Whitespace-separated words: crude, but deterministic and tokenizer-free. */
function countWords(text: string): number {
  return text.split(/\s+/).filter((w) => w !== '').length;
}

function countUsage(body: Readonly<Record<string, unknown>>, answer: string): Usage {
  const prompt = countWords(promptText({ body }));
  const completion = countWords(answer);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
}

// ---------------------------------------------------------------------------------------
// Response bodies (shapes follow the OpenAI API reference)
// ---------------------------------------------------------------------------------------

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function chatCompletion(id: string, model: string, text: string, usage: Usage): object {
  return {
    id,
    object: 'chat.completion',
    created: nowSeconds(),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage,
  };
}

function textCompletion(id: string, model: string, text: string, usage: Usage): object {
  return {
    id,
    object: 'text_completion',
    created: nowSeconds(),
    model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: 'stop' }],
    usage,
  };
}

/** Splits text into word-sized pieces whose concatenation is exactly the text. */
function splitPieces(text: string): string[] {
  return text.split(/(?<=\s)(?=\S)/).filter((p) => p !== '');
}

/** All SSE payloads for one streamed answer, excluding the terminating [DONE]. */
function streamChunks(
  endpoint: Endpoint,
  id: string,
  model: string,
  text: string,
  usage: Usage,
  includeUsage: boolean,
): object[] {
  const base = { id, created: nowSeconds(), model };
  const pieces = splitPieces(text);
  const chunks = endpoint === 'chat' ? chatChunks(base, pieces) : textChunks(base, pieces);
  // OpenAI sends usage in an extra final chunk with empty choices; it is null on the others.
  if (includeUsage) chunks.push({ ...base, object: chunkObject(endpoint), choices: [], usage });
  return chunks;
}

function chunkObject(endpoint: Endpoint): string {
  return endpoint === 'chat' ? 'chat.completion.chunk' : 'text_completion';
}

function chatChunks(base: object, pieces: string[]): object[] {
  const chunk = (delta: object, finish: string | null): object => ({
    ...base,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  return [
    chunk({ role: 'assistant', content: '' }, null),
    ...pieces.map((content) => chunk({ content }, null)),
    chunk({}, 'stop'),
  ];
}

function textChunks(base: object, pieces: string[]): object[] {
  const chunk = (text: string, finish: string | null): object => ({
    ...base,
    object: 'text_completion',
    choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
  });
  return [...pieces.map((text) => chunk(text, null)), chunk('', 'stop')];
}

// ---------------------------------------------------------------------------------------
// Response writers
// ---------------------------------------------------------------------------------------

function startSse(res: http.ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  // Push headers now so the client's stream starts even before the first chunk.
  res.flushHeaders();
}

function sendJson(
  res: http.ServerResponse,
  status: number,
  body: object,
  headers: http.OutgoingHttpHeaders = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The non-streaming analogue of a truncated stream: half a JSON body, then a dead socket. */
function truncateJson(res: http.ServerResponse, body: object): void {
  const json = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write(json.slice(0, Math.floor(json.length / 2)), () => res.socket?.destroy());
}

function sendError(
  res: http.ServerResponse,
  status: number,
  message: string,
  type: string,
  code: string | null,
  headers?: http.OutgoingHttpHeaders,
): void {
  sendJson(res, status, { error: { message, type, param: null, code } }, headers);
}

function sendModelNotFound(res: http.ServerResponse, model: string): void {
  sendError(
    res,
    404,
    `The model \`${model}\` does not exist`,
    'invalid_request_error',
    'model_not_found',
  );
}

function sendStatusFault(
  res: http.ServerResponse,
  fault: Extract<Fault, { kind: 'status' }>,
): void {
  if (fault.status === 429) {
    const headers =
      fault.retryAfterSeconds === undefined
        ? {}
        : { 'retry-after': String(fault.retryAfterSeconds) };
    sendError(
      res,
      429,
      'Rate limit reached (scripted)',
      'requests',
      'rate_limit_exceeded',
      headers,
    );
    return;
  }
  sendError(
    res,
    fault.status,
    'The server had an error while processing your request (scripted)',
    'server_error',
    null,
  );
}
