// Finds a code-server's own processes (several may run at once: other engineers' tests)
// and reads their memory: the extension host is the process under our code-server whose
// command line says --type=extensionHost.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  rssKb: number;
  args: string;
}

export function processTable(): ProcessInfo[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,ppid=,rss=,args='], { encoding: 'utf8' });
  if (ps.status !== 0) throw new Error(`ps failed: ${ps.stderr}`);
  return ps.stdout
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ pid: Number(match[1]), ppid: Number(match[2]), rssKb: Number(match[3]), args: match[4] ?? '' }));
}

/** Every process descending from one whose command line mentions `marker` (e.g. its data dir). */
export function descendantsOf(marker: string, table: ProcessInfo[] = processTable()): ProcessInfo[] {
  const roots = table.filter((p) => p.args.includes(marker));
  const found = new Map(roots.map((p) => [p.pid, p]));
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of table) {
      if (!found.has(p.pid) && found.has(p.ppid)) {
        found.set(p.pid, p);
        grew = true;
      }
    }
  }
  return [...found.values()];
}

export function extensionHostsOf(marker: string): ProcessInfo[] {
  return descendantsOf(marker).filter((p) => p.args.includes('--type=extensionHost'));
}

/** VmRSS and VmHWM (the peak resident set) from /proc, in kB; null when the process is gone. */
export function residentMemory(pid: number): { rssKb: number; peakKb: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const read = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssKb: read('VmRSS'), peakKb: read('VmHWM') };
  } catch {
    return null;
  }
}
