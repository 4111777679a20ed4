/** Run options for the plain baseline on one test-server endpoint: no templates, CoT or hints. */
import type { RunOptions } from '../../server/runs/startRun';

export function plainRunOptions(data: string, baseUrl: string, concurrency: number): RunOptions {
  return {
    data,
    llm: { url: baseUrl, model: 'm', concurrency },
    templates: 'none',
    cot: 'off',
    similarityK: 0,
  };
}
