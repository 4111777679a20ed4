/**
 * A process's identity beyond its pid: pids are reused, so a recorded pid is only trusted when
 * the process now holding it started when the recorded one did (Linux: /proc/<pid>/stat field
 * 22, clock ticks since boot). Where /proc is missing, the start time is unknown and only the
 * pid is checked, as before.
 */
import * as fs from 'node:fs';

export function processStartTime(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields restart after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[19]);
    return Number.isFinite(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pid` is alive and, when a start time was recorded, still the same process. */
export function isSameProcess(pid: number, startTime?: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    // ESRCH: gone. EPERM: alive but another user's, so not the process we started.
    return false;
  }
  if (startTime === undefined) return true;
  const now = processStartTime(pid);
  return now === undefined || now === startTime;
}
