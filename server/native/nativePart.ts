/**
 * The engine's native parts ship per platform: llama.cpp (node-llama-cpp) for the local model,
 * onnxruntime (under transformers.js) for local embeddings. Where one cannot load (no build for
 * this OS or CPU, a CPU without the instructions it needs, a package for another platform), only
 * the local model that needs it is unavailable: the error says which part, why, and what still
 * works, and everything that talks to a server goes on as before.
 */
import { UserError } from '../userError';
import type { Fix } from '../protocol/fixHints';

export type NativePart = 'llama.cpp' | 'onnxruntime';

/** What still works without each part, said once for the CLI and VS Code alike. */
const INSTEAD: Record<NativePart, string> = {
  'llama.cpp':
    'Everything that talks to a server still works: use an OpenAI-compatible server instead',
  onnxruntime:
    'Local embeddings are unavailable here: sent-transformer tasks are reported NOT SCORED and similarity hints cannot run; to have them, run the workbench where onnxruntime has a build (Linux x64 or arm64, Windows x64, macOS on Apple silicon), e.g. on the GPU server through Remote-SSH',
};

/** How to have each part's work done elsewhere, worded by each surface. */
const FIXES: Record<NativePart, readonly Fix[]> = {
  'llama.cpp': [
    {
      kind: 'command',
      to: 'use one',
      cli: '--llm-url / --slm-url and its model name',
      command: 'mcpo.configureEndpoints',
      title: 'Configure Endpoints',
    },
  ],
  onnxruntime: [],
};

/** A native part that failed to load; its message names the part, the machine and the reason. */
export class NativePartError extends UserError {
  constructor(
    readonly part: NativePart,
    cause: unknown,
    machine = `${process.platform}-${process.arch}`,
  ) {
    super(`${part} cannot load on this machine (${machine}: ${firstLine(cause)})`, {
      cause,
      fixes: FIXES[part],
    });
  }

  /** What still works and what the user can do instead: a sentence. */
  get instead(): string {
    return INSTEAD[this.part];
  }
}

function firstLine(err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err)).split('\n')[0].trim();
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
