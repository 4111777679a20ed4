/**
 * Where a local model stands before any run, without loading or downloading it: a .gguf file on
 * disk, a hub reference already in the model cache, one that will be downloaded on the first run,
 * or one that cannot be (the hub is unreachable, or has no such model). A health check must not
 * show ✓ for a model that the first run will fail to fetch, nor wait minutes to find out: the
 * hub gets one request with a short deadline.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultModelCacheDir } from '../models/modelCache';
import { hubRepository, isModelUri } from './localModels';

export type LocalModelState =
  'file' | 'missing-file' | 'cached' | 'will-download' | 'cannot-download';

export interface LocalModelStatus {
  state: LocalModelState;
  /** False when the first run would fail on this model. */
  ok: boolean;
  message: string;
  /** The .gguf that would be loaded (a file, or the cached copy of a hub model). */
  file?: string;
}

export interface LocalModelStatusOptions {
  /** Where hub models are cached; default ~/.cache/mcpo/models (MCPO_MODEL_CACHE). */
  cacheDir?: string;
  /** Deadline of the reachability probe; default 3 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const PROBE_TIMEOUT_MS = 3000;
const LOCAL_FILE_HINT = 'or set the model to a local .gguf file';

export async function localModelStatus(
  model: string,
  options: LocalModelStatusOptions = {},
): Promise<LocalModelStatus> {
  if (!isModelUri(model)) {
    const file = path.resolve(model);
    if (!fs.existsSync(file))
      return {
        state: 'missing-file',
        ok: false,
        message: `local model file ${model} does not exist`,
      };
    return {
      state: 'file',
      ok: true,
      file,
      message: `local llama.cpp model ${model} (loaded on the first run)`,
    };
  }
  const cacheDir = options.cacheDir ?? defaultModelCacheDir();
  const cached = await cachedFile(model, cacheDir);
  if (cached !== undefined)
    return {
      state: 'cached',
      ok: true,
      file: cached,
      message: `local llama.cpp model ${model}: cached at ${cached} (loaded on the first run)`,
    };
  const probe = probeUrl(model);
  const host = new URL(probe.url).host;
  const answer = await probeOnce(probe, options);
  if (answer.kind === 'unreachable')
    return {
      state: 'cannot-download',
      ok: false,
      message: `local llama.cpp model ${model}: not in ${cacheDir} and cannot be downloaded (offline: ${host} ${answer.reason}); connect to the network, ${LOCAL_FILE_HINT}`,
    };
  if (answer.status === 401 || answer.status === 403)
    return {
      state: 'cannot-download',
      ok: false,
      message: `local llama.cpp model ${model}: not in ${cacheDir}, and ${host} refuses it without access (HTTP ${answer.status}); set HF_TOKEN, ${LOCAL_FILE_HINT}`,
    };
  if (answer.status === 404 || answer.status === 400)
    return {
      state: 'cannot-download',
      ok: false,
      message: `local llama.cpp model ${model}: not in ${cacheDir}, and ${host} has no such model (HTTP ${answer.status}); check the reference, ${LOCAL_FILE_HINT}`,
    };
  if (answer.status >= 500)
    return {
      state: 'cannot-download',
      ok: false,
      message: `local llama.cpp model ${model}: not in ${cacheDir}, and ${host} fails right now (HTTP ${answer.status}); try again later, ${LOCAL_FILE_HINT}`,
    };
  return {
    state: 'will-download',
    ok: true,
    message: `local llama.cpp model ${model}: not cached yet; downloaded once into ${cacheDir} on the first run (${host} answers)`,
  };
}

/** The cached copy node-llama-cpp would use, found without any network access. */
async function cachedFile(model: string, cacheDir: string): Promise<string | undefined> {
  try {
    const m = await import('node-llama-cpp');
    return await m.resolveModelFile(model, { directory: cacheDir, download: false, cli: false });
  } catch {
    return undefined;
  }
}

/** The hub node-llama-cpp downloads from (same environment variables, same default). */
function hubEndpoint(): string {
  for (const value of [process.env.MODEL_ENDPOINT, process.env.HF_ENDPOINT]) {
    if (value && /^https?:\/\//i.test(value)) return value.endsWith('/') ? value : `${value}/`;
  }
  return 'https://huggingface.co/';
}

/** hf:user/repo[:quant] and hf:user/repo/file.gguf ask the hub's model API; a URL is asked itself. */
function probeUrl(model: string): Probe {
  const hub = hubRepository(model);
  if (hub) {
    return {
      url: `${hubEndpoint()}api/models/${encodeURIComponent(hub.user)}/${encodeURIComponent(hub.repo)}`,
      method: 'GET',
      hub: true,
    };
  }
  return { url: model, method: 'HEAD', hub: false };
}

interface Probe {
  url: string;
  method: 'GET' | 'HEAD';
  /** The hub's own API: the only place HF_TOKEN is sent. */
  hub: boolean;
}

type ProbeAnswer = { kind: 'http'; status: number } | { kind: 'unreachable'; reason: string };

async function probeOnce(probe: Probe, options: LocalModelStatusOptions): Promise<ProbeAnswer> {
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  try {
    const response = await fetch(probe.url, {
      method: probe.method,
      redirect: 'manual',
      signal,
      headers:
        probe.hub && process.env.HF_TOKEN
          ? { authorization: `Bearer ${process.env.HF_TOKEN}` }
          : {},
    });
    // Only the status matters; do not read a body we do not need.
    await response.body?.cancel().catch(() => undefined);
    return { kind: 'http', status: response.status };
  } catch (err) {
    if (options.signal?.aborted) throw err;
    if (deadline.aborted)
      return { kind: 'unreachable', reason: `did not answer within ${timeoutMs} ms` };
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return {
      kind: 'unreachable',
      reason: `cannot be reached: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
    };
  }
}
