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

function processTable(): ProcessInfo[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,ppid=,rss=,args='], { encoding: 'utf8' });
  if (ps.status !== 0) throw new Error(`ps failed: ${ps.stderr}`);
  return ps.stdout
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ pid: Number(match[1]), ppid: Number(match[2]), rssKb: Number(match[3]), args: match[4] ?? '' }));
}

/** Every process descending from one whose command line mentions `marker` (e.g. its data dir). */
function descendantsOf(marker: string, table: ProcessInfo[] = processTable()): ProcessInfo[] {
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

/** CPU time (user + system) the process has used, in milliseconds; null when it is gone. */
export function cpuTimeMs(pid: number, clockTicksPerSecond = clockTicks()): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, utime 14 and stime 15 (proc(5)).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / clockTicksPerSecond : null;
  } catch {
    return null;
  }
}

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const getconf = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const value = Number(getconf.stdout.trim());
    ticksPerSecond = getconf.status === 0 && value > 0 ? value : 100;
  }
  return ticksPerSecond;
}
