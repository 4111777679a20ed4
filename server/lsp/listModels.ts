/** The models an OpenAI-compatible server lists at GET /v1/models, for picking one in the editor. */
import OpenAI from 'openai';
import type { ListModelsParams, ListModelsResult } from '../protocol/runs';
import { missingV1Hint, rootCause } from '../llm/openaiClient';
import { UserError } from '../userError';

/** One attempt with a short timeout: a picker should answer quickly or say why it cannot. */
export async function listModels(
  params: ListModelsParams,
  signal: AbortSignal,
): Promise<ListModelsResult> {
  const baseUrl = params.url.trim().replace(/\/+$/, '');
  if (!/^https?:\/\//.test(baseUrl))
    throw new UserError(`"${params.url}" is not an http(s) URL of an OpenAI-compatible server`);
  const openai = new OpenAI({
    baseURL: baseUrl,
    apiKey: params.apiKey || 'not-needed',
    maxRetries: 0,
    timeout: 10_000,
  });
  const models: ListModelsResult['models'] = [];
  try {
    for await (const model of openai.models.list({ signal })) {
      // vLLM reports the weights behind a served name as `root`; other servers leave it out.
      const root = (model as { root?: unknown }).root;
      models.push({ id: model.id, ...(typeof root === 'string' && root ? { root } : {}) });
    }
  } catch (err) {
    if (signal.aborted) throw err;
    const status = err instanceof OpenAI.APIError ? err.status : undefined;
    throw new UserError(
      status === 401 || status === 403
        ? `${baseUrl} refused GET /models with HTTP ${status}: the API key is missing or wrong (MCPO: Set API Key)`
        : `cannot list the models of ${baseUrl}: ${status ? `HTTP ${status}` : rootCause(err)}${missingV1Hint(baseUrl, status)}`,
    );
  }
  return { models };
}
