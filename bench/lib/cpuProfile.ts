// CPU profiles over the Chrome DevTools Protocol, summarised by where the time went: for the
// extension host (a Node inspector the workbench opens with `inspect-extensions`) and for
// the workbench page. A diagnostic for the benchmark's report, never part of its timings.
// Node 20 needs --experimental-websocket for the global WebSocket (bench/run.mjs adds it).

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  wallMs: number;
  /** Self time by category (ms), largest first. */
  categories: { name: string; ms: number }[];
  /** The functions with the most self time, outside idle. */
  topFunctions: { name: string; where: string; ms: number }[];
}

/** A minimal CDP client over the inspector's WebSocket. */
export class InspectorSession {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener('message', (event: MessageEvent) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (message.id === undefined) return;
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) waiting?.reject(new Error(message.error.message));
      else waiting?.resolve(message.result);
    });
  }

  /** Connects to the first target of a Node inspector listening on `port`. */
  static async connect(port: number): Promise<InspectorSession> {
    if (typeof WebSocket === 'undefined') throw new Error('no global WebSocket: run Node with --experimental-websocket (Node 20)');
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
    const target = targets[0];
    if (!target) throw new Error(`no inspector target on port ${port}`);
    const socket = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener('error', () => reject(new Error(`cannot connect to ${target.webSocketDebuggerUrl}`)), { once: true });
    });
    return new InspectorSession(socket);
  }

  send<T = unknown>(method: string, params: object = {}): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: (value) => resolve(value as T), reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.socket.close();
  }
}

/**
 * Self time per category and per function. `categorize` names a call frame's category
 * (e.g. our bundle, VS Code, Node); V8's own pseudo-frames keep their names: (idle),
 * (garbage collector), (program).
 */
export function summarizeProfile(profile: CpuProfile, categorize: (url: string) => string, options: { top?: number; lastMs?: number } = {}): ProfileSummary {
  const top = options.top ?? 8;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // Only the last `lastMs` of the profile (the window of interest ends when it was stopped).
  const from = options.lastMs === undefined ? Number.NEGATIVE_INFINITY : profile.endTime - options.lastMs * 1000;
  // timeDeltas[i] is the time before sample i; attribute each interval to the sample that ends it.
  let at = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i]!;
    const delta = Math.max(0, deltas[i] ?? 0);
    at += delta;
    if (at < from) continue;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }
  const categories = new Map<string, number>();
  const functions = new Map<string, { name: string; where: string; us: number }>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const pseudo = /^\(.*\)$/.test(frame.functionName) && frame.url === '';
    const category = pseudo ? frame.functionName : categorize(frame.url);
    categories.set(category, (categories.get(category) ?? 0) + us);
    if (pseudo && frame.functionName === '(idle)') continue;
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName}@${where}`;
    const entry = functions.get(key) ?? { name: frame.functionName || '(anonymous)', where, us: 0 };
    entry.us += us;
    functions.set(key, entry);
  }
  const ms = (us: number) => Math.round(us / 100) / 10;
  return {
    wallMs: ms(Math.min(profile.endTime - profile.startTime, options.lastMs === undefined ? Number.POSITIVE_INFINITY : options.lastMs * 1000)),
    categories: [...categories].map(([name, us]) => ({ name, ms: ms(us) })).sort((a, b) => b.ms - a.ms),
    topFunctions: [...functions.values()].sort((a, b) => b.us - a.us).slice(0, top).map((f) => ({ name: f.name, where: f.where, ms: ms(f.us) })),
  };
}

function shortUrl(url: string): string {
  const parts = url.split('/');
  return parts.slice(-2).join('/');
}
