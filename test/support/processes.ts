import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

interface ProcessRow {
  pid: number;
  ppid: number;
  state: string;
  args: string;
}

/** Every process as `ps` lists it (Linux and macOS alike). */
function processTable(): ProcessRow[] {
  const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), state: m[3], args: m[4] }));
}

/** The live child processes of `parent` whose command line contains `needle`. */
export function childProcesses(parent: number, needle: string): number[] {
  return processTable()
    .filter((p) => p.ppid === parent && p.args.includes(needle) && !p.state.startsWith('Z'))
    .map((p) => p.pid);
}

/**
 * True once `pid` has exited: gone, or a zombie whose exit its parent has not collected yet.
 * Read from /proc where there is one, so the answer is of this instant, not a subprocess later.
 */
export function hasExited(pid: number): boolean {
  if (fs.existsSync('/proc/self/stat')) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return true;
    }
    // "pid (comm) state ...": comm may hold spaces and parentheses, the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  }
  const row = processTable().find((p) => p.pid === pid);
  return row === undefined || row.state.startsWith('Z');
}
