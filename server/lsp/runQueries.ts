/** Read-only requests over run folders and endpoints: list, open, compare, health check. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  MIN_PAIRED,
  type CheckEndpointsParams,
  type CheckEndpointsResult,
  type CompareRunsResult,
  type EndpointHealth,
  type GetRunResult,
  type RunListItem,
} from '../protocol/runs';
import { DEFAULT_LOCAL_MODEL, LOCAL_BASE_URL } from '../llm/localLlama';
import { localModelStatus } from '../llm/localModelStatus';
import { createOpenAiClient } from '../llm/openaiClient';
import { DEFAULT_ENDPOINT_SETTINGS } from '../llm/types';
import { splitRowTexts } from '../dataset/rowTexts';
import { fixesOf } from '../userError';
import { endpointSettingProblem } from './runs';
import { compareRunRecords, runSamples, sameDataset, summarizeRun } from '../runs/report';
import { datasetsDiffer } from '../protocol/runLabels';
import { CONFIG_FILE, RunStore } from '../runs/runStore';
import { runTaskCount } from '../runs/runTasks';
import { aggregate } from '../scoring/evaluate';

/** Run folders directly under `runsDir` and one level down (ablations group their arms), newest first. */
export function listRuns(
  runsDir: string,
  log: (m: string) => void,
  baselineDir?: string,
): RunListItem[] {
  const items: RunListItem[] = [];
  let baseline: RunStore | undefined;
  if (baselineDir !== undefined) {
    try {
      baseline = RunStore.open(baselineDir);
    } catch (err) {
      log(`baseline ${baselineDir}: ${(err as Error).message}`);
    }
  }
  const visit = (dir: string, depth: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // no runs folder yet: no runs
    }
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      const sub = path.join(dir, e.name);
      if (fs.existsSync(path.join(sub, CONFIG_FILE))) {
        try {
          const store = RunStore.open(sub);
          const summary = summarizeRun(store);
          const records = [...store.records.values()];
          // Only the overall delta for the list: no resampling (the report panel has the intervals).
          const comparison =
            baseline !== undefined && path.resolve(sub) !== path.resolve(baseline.dir)
              ? compareRunRecords(baseline.records.values(), records, 0)
              : undefined;
          items.push({
            runDir: sub,
            runId: store.config.runId,
            label: store.config.label,
            createdAt: store.config.createdAt,
            dataFile: store.config.data.file,
            questions: summary.questions,
            expected: summary.expected,
            failed: summary.failed,
            ...(summary.notScored ? { notScored: summary.notScored } : {}),
            overall: summary.report.overall,
            tracks: summary.report.tracks,
            tasks: summary.report.tasks.length,
            ...(summary.tasks !== undefined && { runTasks: summary.tasks }),
            cached: summary.cached,
            selection: store.config.data.selected !== undefined,
            taskScores: summary.report.tasks.map(({ task_name, metric, score }) => ({
              task_name,
              metric,
              score,
            })),
            ...(summary.report.unscored && { unscored: summary.report.unscored }),
            ...(comparison && {
              baseline: {
                delta: comparison.differences.find((d) => d.scope === 'overall')?.delta ?? null,
                paired: comparison.paired,
                ...(comparison.notScored > 0 && { notScored: comparison.notScored }),
              },
            }),
          });
        } catch (err) {
          // One damaged run must not hide the others.
          log(`skipping ${sub}: ${(err as Error).message}`);
        }
      } else if (depth > 0) visit(sub, depth - 1);
    }
  };
  visit(runsDir, 1);
  baseline?.close();
  return items.sort((a, b) =>
    a.createdAt < b.createdAt
      ? 1
      : a.createdAt > b.createdAt
        ? -1
        : b.runDir.localeCompare(a.runDir),
  );
}

export function getRun(runDir: string): GetRunResult {
  const store = RunStore.open(runDir);
  const records = [...store.records.values()].sort((a, b) => a.index - b.index);
  const runTasks = runTaskCount(store.config, store.records);
  return {
    config: store.config,
    records,
    report: aggregate(runSamples(records)),
    ...(runTasks !== undefined && { runTasks }),
    rowLines: rowLines(store.config.data.file),
  };
}

/** Where each row starts, for "open the row"; a moved or broken data file only loses the jump. */
function rowLines(file: string): number[] | undefined {
  try {
    return splitRowTexts(file, fs.readFileSync(file, 'utf8')).map((r) => r.line);
  } catch {
    return undefined;
  }
}

export function compareRunDirs(baselineDir: string, candidateDir: string): CompareRunsResult {
  const baseline = RunStore.open(baselineDir);
  const candidate = RunStore.open(candidateDir);
  const comparison = compareRunRecords(baseline.records.values(), candidate.records.values());
  const differ = !sameDataset(baseline.config.data, candidate.config.data) && {
    datasetsDiffer: datasetsDiffer(
      { file: baseline.config.data.file, questions: baseline.records.size },
      { file: candidate.config.data.file, questions: candidate.records.size },
      comparison.paired,
    ),
  };
  return { ...comparison, ...differ, minPaired: MIN_PAIRED };
}

export async function checkEndpoints(
  params: CheckEndpointsParams,
  signal: AbortSignal,
): Promise<CheckEndpointsResult> {
  const configured = [
    { role: 'llm' as const, e: params.settings.llm, apiKey: params.secrets.llmApiKey },
    { role: 'slm' as const, e: params.settings.slm, apiKey: params.secrets.slmApiKey },
  ];
  const endpoints = await Promise.all(
    configured.flatMap(({ role, e, apiKey }): Promise<EndpointHealth>[] => {
      if (!e) return [];
      return [checkOne(role, e.url, e.model, e.mode, apiKey, signal)];
    }),
  );
  return { endpoints };
}

/**
 * A local model is not loaded by a health check (the default one is a ~400 MB download): a file
 * must exist; a hub reference is cached, will download on the first run, or cannot (offline, or
 * no such model), found with one short request to the hub and no download.
 */
async function checkLocal(
  health: { role: 'llm' | 'slm'; url: string; model: string },
  signal: AbortSignal,
): Promise<EndpointHealth> {
  const model = health.model || DEFAULT_LOCAL_MODEL;
  const status = await localModelStatus(model, { signal });
  return { ...health, model, ok: status.ok, message: status.message };
}

async function checkOne(
  role: 'llm' | 'slm',
  url: string,
  model: string,
  mode: 'chat' | 'completions',
  apiKey: string | undefined,
  signal: AbortSignal,
): Promise<EndpointHealth> {
  const health = { role, url, model };
  if (url === LOCAL_BASE_URL) return checkLocal(health, signal);
  if (!url || !model)
    return {
      ...health,
      ok: false,
      message: `the ${role.toUpperCase()} endpoint needs both a URL and a model name`,
    };
  const badUrl = endpointSettingProblem(role, url);
  if (badUrl) return { ...health, ok: false, message: badUrl.message, fixes: [...badUrl.fixes] };
  try {
    // One attempt with a short timeout: a health check should answer quickly, not retry for minutes.
    const client = createOpenAiClient(
      {
        ...DEFAULT_ENDPOINT_SETTINGS,
        mode,
        baseUrl: url.replace(/\/+$/, ''),
        model,
        timeoutMs: 10_000,
        maxRetries: 0,
      },
      { apiKey: apiKey || undefined, role },
    );
    await client.check(signal);
    return { ...health, ok: true, message: `${url} serves ${model}` };
  } catch (err) {
    const fixes = fixesOf(err);
    return {
      ...health,
      ok: false,
      message: (err as Error).message,
      ...(fixes.length > 0 && { fixes: [...fixes] }),
    };
  }
}
