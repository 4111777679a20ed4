/**
 * Stands in for `vllm serve <model> --port <port> ...` in the eval-step tests: the project's
 * OpenAI-compatible test server, serving <model> on <port> and answering "1" (every question
 * of the MCQ fixture then parses; the score is whatever the truths make it). Other vLLM flags
 * are accepted and ignored. Stops on SIGTERM, as the eval job's trap sends.
 *   node out/test/slurm/fakeVllm.js serve /path/to/awq --quantization awq --port 8123
 */
import { startOpenAiTestServer } from '../support/openaiTestServer';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] !== 'serve' || !args[1]) throw new Error('usage: fakeVllm serve <model> --port N');
  const portAt = args.indexOf('--port');
  const port = portAt >= 0 ? Number(args[portAt + 1]) : 8000;
  const server = await startOpenAiTestServer({ models: [args[1]], port });
  process.stdout.write(`serving ${args[1]} at ${server.baseUrl}\n`);
  const stop = (): void => void server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`fakeVllm: ${(err as Error).message}\n`);
  process.exit(1);
});
