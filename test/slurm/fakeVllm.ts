/**
 * Stands in for `vllm serve <model> ...` in the eval-step tests: the project's OpenAI-compatible
 * test server, serving on --port under --served-model-name (else <model>), answering "1" (every
 * question of the MCQ fixture then parses; the score is whatever the truths make it). It reads
 * the flags the eval step generates as vLLM does and refuses what vLLM would refuse (choices
 * from docs.vllm.ai "Engine Arguments"), so the default serve command is tested, not only a
 * hand-written one. Stops on SIGTERM, as the eval job's trap sends.
 *   node out/test/slurm/fakeVllm.js serve /path/to/awq --quantization awq --port 8123
 */
import { startOpenAiTestServer } from '../support/openaiTestServer';

/** The flags the eval step may generate, with what vLLM accepts for each. */
const FLAGS: Record<string, (v: string) => boolean> = {
  '--port': (v) => /^\d+$/.test(v) && Number(v) > 0 && Number(v) < 65536,
  '--quantization': (v) => ['awq', 'awq_marlin', 'compressed-tensors', 'gptq'].includes(v),
  '--dtype': (v) => ['auto', 'half', 'float16', 'bfloat16', 'float', 'float32'].includes(v),
  '--served-model-name': (v) => v !== '' && !v.startsWith('--'),
  '--tensor-parallel-size': (v) => /^[1-9]\d*$/.test(v),
};

function parse(args: string[]): { model: string; flags: Map<string, string> } {
  if (args[0] !== 'serve' || !args[1] || args[1].startsWith('--'))
    throw new Error('usage: fakeVllm serve <model> [--port N] [--dtype D] ...');
  const flags = new Map<string, string>();
  for (let i = 2; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]];
    const ok = FLAGS[flag];
    if (!ok) throw new Error(`unrecognized arguments: ${flag}`);
    if (value === undefined || !ok(value))
      throw new Error(`argument ${flag}: invalid choice: ${JSON.stringify(value)}`);
    flags.set(flag, value);
  }
  return { model: args[1], flags };
}

async function main(): Promise<void> {
  const { model, flags } = parse(process.argv.slice(2));
  const name = flags.get('--served-model-name') ?? model;
  const port = Number(flags.get('--port') ?? 8000);
  const server = await startOpenAiTestServer({ models: [name], port });
  process.stdout.write(`serving ${model} as ${name} at ${server.baseUrl}\n`);
  const stop = (): void => void server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`fakeVllm: ${(err as Error).message}\n`);
  process.exit(2);
});
