/**
 * "MCPO: Choose Preset": picks `mcpo.preset` from a list that says what each preset means. With a
 * preset, the stage settings the user has not set come from it (see server/runs/presets.ts).
 */
import * as vscode from 'vscode';
import type { McpoConfig } from './settings';

interface PresetItem extends vscode.QuickPickItem {
  value: 'none' | 'paper';
}

const ITEMS: readonly PresetItem[] = [
  {
    value: 'paper',
    label: 'paper',
    description: 'MCPO as in the paper',
    detail:
      'Prompt1+2 templates, CoT on multiple choice (M_S if set, else M_L), top-3 hints on ranking with snowflake-arctic-embed-m (query prompt, dot product), raw-text completions, seed 773815',
  },
  {
    value: 'none',
    label: 'none',
    description: 'your own mcpo.* settings',
    detail: 'templates, CoT, hints, vector model and transport exactly as the settings say',
  },
];

export async function choosePreset(config: McpoConfig): Promise<void> {
  const current = config.preset;
  const picked = await vscode.window.showQuickPick(
    ITEMS.map((item) => ({ ...item, picked: item.value === current })),
    { title: 'MCPO: Choose Preset', placeHolder: `current preset: ${current}` },
  );
  if (!picked) return;
  await config.update({ preset: picked.value });
  void vscode.window.showInformationMessage(
    picked.value === 'none'
      ? 'MCPO: no preset; runs use your mcpo.* settings.'
      : `MCPO: preset "${picked.value}"; settings you set explicitly still override its pieces.`,
  );
}
