/**
 * The OpenAI-compatible test server as its own process, so a benchmark's engine does not share
 * an event loop with the server it measures. Prints the base URL on its first stdout line;
 * stops when stdin closes.
 *   node out/test/support/openaiTestServerMain.js --latency-ms 200
 */
import { parseArgs } from 'node:util';
import { promptText, startOpenAiTestServer } from './openaiTestServer';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'latency-ms': { type: 'string' } } });
  const server = await startOpenAiTestServer({
    latencyMs: Number(values['latency-ms'] ?? 0),
    answer: (r) =>
      /chain of thought/i.test(promptText(r)) ? 'Because the first option fits.' : '1',
  });
  process.stdout.write(`${server.baseUrl}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
}

void main();
