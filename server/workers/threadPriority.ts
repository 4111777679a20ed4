/**
 * The engine worker's CPU work (model loads, scoring, embedding) runs at a lower priority than
 * the main thread, so on a busy machine the thread that sends requests and answers the editor
 * gets the cores first, and the worker uses what is left: most of a run is spent waiting for the
 * model server, so there is plenty. Linux only, where one thread's niceness can be set by its
 * thread id; elsewhere `os.setPriority` would change the whole process, so nothing is done.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

/**
 * Niceness of the engine worker: MCPO_WORKER_NICE (0-19; 0 keeps the main thread's), else 19,
 * the lowest priority. Measured on 2 cores with the test server beside it, 384 questions at
 * c=32: the run took 1-2% less wall time at 19 than at 10 (8 paired rounds, and two more sets
 * of rounds pointing the same way), and an MCPO run, whose similarity hints wait on the worker,
 * did not take longer (6 rounds each). A worker that only scores never holds a request back.
 */
export function workerNiceness(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.MCPO_WORKER_NICE ?? '';
  return /^\d{1,2}$/.test(value) && Number(value) <= 19 ? Number(value) : DEFAULT_NICENESS;
}

const DEFAULT_NICENESS = 19;

/** This thread's id on Linux (`/proc/thread-self` links to `<pid>/task/<tid>`), else undefined. */
export function linuxThreadId(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Raises this thread's niceness by `nice` (lowers its priority); returns the new niceness, or
 * undefined where it cannot be done. Never fails: a priority is a preference, not a requirement.
 */
export function lowerThisThreadsPriority(nice: number): number | undefined {
  const tid = linuxThreadId();
  if (tid === undefined || nice <= 0) return undefined;
  try {
    const target = Math.min(19, os.getPriority(tid) + nice);
    os.setPriority(tid, target);
    return os.getPriority(tid);
  } catch {
    return undefined;
  }
}
