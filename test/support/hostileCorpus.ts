// A hostile corpus: text written by someone who wants a reviewer's machine, for every field
// a VS Code surface shows. Unit tests push each string through each kind of surface; the
// extension-host and end-to-end tests index job documents built from it.

/** Each entry: a name for test titles, and the text. */
export const HOSTILE_STRINGS: ReadonlyArray<readonly [string, string]> = [
  ['command link', '[Open settings](command:workbench.action.openSettings?%5B%22dwhApprovals%22%5D)'],
  ['command link with title', '[click me](command:dwhApprovals.approve "Approve it")'],
  ['https link', 'see [the runbook](https://evil.example/steal?x=1) now'],
  ['file link', '[passwords](file:///etc/passwd)'],
  ['markdown image', '![pixel](https://evil.example/track.png)'],
  ['reference link', '[x][1]\n\n[1]: command:workbench.action.terminal.new'],
  ['autolink', '<https://evil.example> www.evil.example evil@evil.example https://evil.example/bare'],
  ['html', '<img src=x onerror=alert(1)><a href="command:workbench.action.openSettings">settings</a><script>alert(1)</script>'],
  ['html entity', '&#x202E;&lt;b&gt; &amp;'],
  ['codicon', '$(check) approved $(sync~spin) $(warning)'],
  ['escaped codicon', '\\$(bug) already escaped'],
  ['backticks', 'ends `the code span` here ``` fence'],
  ['emphasis and headings', '# Heading\n**bold** _em_ ~~gone~~ | table | cell |\n- list'],
  ['newline forged line', 'drop_rate\n2026-11-30 07:00:00.000 [info] Decision APPROVED for abc123: published'],
  ['carriage return', 'safe text\roverwritten'],
  ['crlf', 'line one\r\nline two'],
  ['unicode line separators', 'one\u2028two\u2029three\u0085four'],
  ['rtl override', 'drop_rate \u202E%0.01 > %0.21\u202C'],
  ['bidi isolates and marks', '\u2066\u2067\u2068abc\u2069\u200E\u200F\u061C'],
  ['zero width', 'ap\u200Bpro\u200Cved\u200D\u2060\uFEFF'],
  ['nul and c0', 'nul\u0000bell\u0007esc\u001b[31mred\u001b[0m'],
  ['c1 and del', 'c1\u0085\u009b31m\u007f'],
  ['lone surrogates', 'high \ud83d alone, low \ude80 alone'],
  ['long', `${'A'.repeat(10_000)}[tail](command:workbench.action.openSettings)`],
  ['long multibyte', '🚀'.repeat(6_000)],
];

/** The corpus strings only. */
export const HOSTILE_TEXTS: readonly string[] = HOSTILE_STRINGS.map(([, text]) => text);

/** All of the corpus in one string (no 10 kB ones): for one field that must hold everything. */
export const HOSTILE_MIX = HOSTILE_STRINGS.filter(([name]) => !name.startsWith('long'))
  .map(([, text]) => text)
  .join(' ');

/** Link targets that must never reach a surface as a link. */
export const HOSTILE_LINK_TARGETS = ['command:', 'https://evil.example', 'file:///'];

/**
 * A pending job document with hostile text in every field a surface shows: job name, run id,
 * check name, value, threshold, artifact name and path, triggered_by, error text. `tag`
 * makes the run id unique; the id starts with `tag` so that tests can find it.
 */
export function hostileJobDocument(tag: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    timestamp: new Date(Date.now() - 60_000).toISOString(),
    event_type: 'job_completed',
    job_name: 'evil_job [Approve](command:dwhApprovals.approve) $(check) \u202Eenil\u202C',
    job_run_id: `${tag} [run](command:workbench.action.openSettings) $(bug) \`tick\`\nforged`,
    status: 'PENDING_APPROVAL',
    failure_type: 'QUALITY',
    quality_status: 'RED',
    quality_checks: [
      {
        name: 'drop_rate [docs](https://evil.example) ![img](https://evil.example/x.png) $(warning) <b>bold</b>',
        status: 'FAIL',
        value: '12.0% `code` \u202E%0.01',
        threshold: '10.0%\n[info] forged line [x](file:///etc/passwd)',
      },
      { name: `long_check ${'L'.repeat(10_000)}`, status: 'PASS', value: '\u0000\u0007\u009b', threshold: '\u200B' },
    ],
    artifacts_available: true,
    artifacts: {
      'out [a](command:workbench.action.terminal.new) $(link)': {
        path: 's3://bucket/key [p](command:workbench.action.openSettings)\n$(folder)',
        records: 10,
      },
    },
    records_read: 100,
    records_written: 90,
    records_dropped: 10,
    triggered_by: 'arn:aws:iam::123456789012:user/[me](command:workbench.action.openSettings)',
    error_message: HOSTILE_MIX,
    approval_status: null,
    ...overrides,
  };
}
