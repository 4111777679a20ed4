/** Timing commands as a user runs them: each in a new node process, taking turns. */
import { spawnSync } from 'node:child_process';

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Wall times of each command (node's arguments), `runs` of each, every one in a new process; the
 * commands take turns, so a change in the shared machine's load touches all of them. Blocks this
 * process while each runs: only for commands that need nothing served from here.
 */
export function spawnedWallTimes(commands: readonly string[][], runs: number): number[][] {
  const times = commands.map((): number[] => []);
  for (let round = 0; round < runs; round++) {
    commands.forEach((args, i) => {
      const t0 = performance.now();
      const { status } = spawnSync(process.execPath, args, { stdio: 'ignore' });
      if (status !== 0) throw new Error(`node ${args.join(' ')} exited with ${status}`);
      times[i].push(performance.now() - t0);
    });
  }
  return times;
}
