// `npm run test:desktop` downloads no VS Code: without an executable it explains what to give
// and where the same suites run instead, and it does not pretend to have passed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'test-desktop.mjs');

function runScript(args: string[], env: Record<string, string>): { status: number | null; output: string } {
  const inherited = { ...process.env };
  delete inherited.VSCODE_EXECUTABLE;
  const result = spawnSync(process.execPath, [SCRIPT, ...args], { env: { ...inherited, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('npm run test:desktop without a desktop VS Code', () => {
  it('says how to name one (--code, VSCODE_EXECUTABLE) and that the code-server tier runs the same suites; exits 2', () => {
    const { status, output } = runScript([], {});
    assert.equal(status, 2, output);
    assert.match(output, /downloads none/);
    assert.match(output, /--code \/path\/to\/code/);
    assert.match(output, /VSCODE_EXECUTABLE/);
    assert.match(output, /npm test -- --tier host/);
  });

  it('names the path it was given when nothing is there, from --code or from VSCODE_EXECUTABLE', () => {
    const missing = join(__dirname, 'no-such-vscode');
    const fromOption = runScript(['--code', missing], {});
    assert.equal(fromOption.status, 2, fromOption.output);
    assert.match(fromOption.output, new RegExp(`no VS Code executable at ${missing} \\(from --code\\)`));
    const fromEnv = runScript([], { VSCODE_EXECUTABLE: __dirname });
    assert.equal(fromEnv.status, 2, fromEnv.output);
    assert.match(fromEnv.output, /no VS Code executable at .* \(from VSCODE_EXECUTABLE\)/);
  });
});
