// The same OpenSearch requests our repository makes, sent raw with curl: what the cluster
// and the loopback network cost without our client (no SigV4, no JSON parsing, no parsing
// into runs). curl's own %{time_total} is used, so its process start is not counted.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface CurlTiming {
  ms: number;
  bytes: number;
  status: number;
}

let scratchDir: string | undefined;
let sequence = 0;

function scratch(): string {
  scratchDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'dwh-bench-curl-'));
  return scratchDir;
}

export function removeScratch(): void {
  if (scratchDir) fs.rmSync(scratchDir, { recursive: true, force: true });
  scratchDir = undefined;
}

/**
 * POSTs `body` to `${opensearchUrl}/${index}/_search` with curl. With `keepResponse` the
 * response is parsed and returned (for search_after paging); otherwise it goes to /dev/null.
 */
export async function curlSearch(
  opensearchUrl: string,
  index: string,
  body: object,
  options: { keepResponse?: boolean; filterPath?: readonly string[] } = {},
): Promise<CurlTiming & { response?: unknown }> {
  const id = ++sequence;
  const bodyFile = path.join(scratch(), `body-${id}.json`);
  const responseFile = options.keepResponse ? path.join(scratch(), `response-${id}.json`) : '/dev/null';
  fs.writeFileSync(bodyFile, JSON.stringify(body));
  const args = [
    '-s', '-o', responseFile, '-w', '%{time_total} %{size_download} %{http_code}',
    '-XPOST', '-H', 'content-type: application/json', '--data-binary', `@${bodyFile}`,
    `${opensearchUrl.replace(/\/+$/, '')}/${index}/_search${options.filterPath?.length ? `?filter_path=${options.filterPath.map(encodeURIComponent).join(',')}` : ''}`,
  ];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn('curl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    // 'close', not 'exit': only then has all of curl's output been read.
    child.once('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`curl exited ${code}: ${stderr.trim()}`))));
  });
  const [seconds, bytes, status] = output.trim().split(/\s+/).map(Number);
  fs.rmSync(bodyFile, { force: true });
  let response: unknown;
  if (options.keepResponse) {
    response = JSON.parse(fs.readFileSync(responseFile, 'utf8')) as unknown;
    fs.rmSync(responseFile, { force: true });
  }
  if (status !== 200) throw new Error(`raw search on ${index} answered HTTP ${status} (curl wrote "${output.trim()}")`);
  return { ms: (seconds ?? Number.NaN) * 1000, bytes: bytes ?? 0, status: status ?? 0, ...(options.keepResponse ? { response } : {}) };
}
