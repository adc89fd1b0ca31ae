// The one place that makes hostile text safe for each kind of VS Code surface, against the
// whole hostile corpus: no link in a message, no markup in Markdown, no icon in a label that
// renders icons, never a second line, never an invisible or reordering character, always
// bounded; and ordinary text comes through as it is.

import assert from 'node:assert/strict';
import {
  LINE_BREAK_MARK,
  MAX_LABEL_VALUE_CHARS,
  MAX_LOG_LINE_CHARS,
  MAX_MARKDOWN_VALUE_CHARS,
  MAX_MESSAGE_CHARS,
  UNTRUSTED_MARKDOWN,
  iconLabel,
  inputPrompt,
  label,
  logLine,
  markdown,
  message,
  terminal,
  terminalJson,
  visibleText,
} from '../../src/core/untrustedText';
import { HOSTILE_LINK_TARGETS, HOSTILE_STRINGS } from '../support/hostileCorpus';
import { seededRandom } from './fixtures';
import { renderedIcons, unescapedMarkdown, unsafeCharacter, workbenchLinks } from '../support/surfaceChecks';

describe('untrusted text on each kind of surface, against the hostile corpus', () => {
  it('the checks themselves see what the workbench would render', () => {
    assert.deepEqual(workbenchLinks('a [x](command:foo) b'), ['[x](command:foo)']);
    assert.deepEqual(renderedIcons('$(check) \\$(bug)'), ['$(check)']);
    assert.deepEqual(unescapedMarkdown('\\[a\\] [b'), [{ index: 6, char: '[' }]);
    assert.equal(unsafeCharacter('a\u202Eb'), 'U+202E at 1');
    assert.equal(unsafeCharacter('a\ud83db'), 'U+D83D at 1');
    assert.equal(unsafeCharacter('ok 🚀'), undefined);
  });

  for (const [name, hostile] of HOSTILE_STRINGS) {
    describe(name, () => {
      it('message: no link anywhere, one line per value, nothing invisible, bounded', () => {
        const text = message`A run of ${hostile} is waiting for approval (${hostile}).`;
        assert.deepEqual(workbenchLinks(text), []);
        assert.equal(unsafeCharacter(text), undefined);
        assert.ok(text.length <= MAX_MESSAGE_CHARS, `${text.length} characters`);
        assert.ok(text.startsWith('A run of '));
      });

      it('input-box prompt: no link and no icon from the value', () => {
        const text = inputPrompt`Why? Recorded as ${hostile}.`;
        assert.deepEqual(workbenchLinks(text), []);
        assert.deepEqual(renderedIcons(text), []);
        assert.equal(unsafeCharacter(text), undefined);
      });

      it('markdown: every punctuation character escaped, one line, nothing invisible, bounded', () => {
        const source = markdown`**${hostile}** · ${hostile}`;
        const values = source.slice(2).split('** · ');
        for (const value of values) {
          assert.deepEqual(unescapedMarkdown(value), [], value.slice(0, 200));
          assert.equal(unsafeCharacter(value), undefined);
          // Escapes at most double a value.
          assert.ok(value.length <= 2 * MAX_MARKDOWN_VALUE_CHARS, `${value.length} characters`);
        }
        assert.deepEqual(UNTRUSTED_MARKDOWN, { isTrusted: false, supportHtml: false, supportThemeIcons: false });
      });

      it('label: one line, nothing invisible, bounded', () => {
        const text = label`${hostile}`;
        assert.equal(unsafeCharacter(text), undefined);
        assert.ok(text.length <= MAX_LABEL_VALUE_CHARS, `${text.length} characters`);
      });

      it('icon label: no icon from the value, only from the literal', () => {
        const text = iconLabel`$(check) ${hostile}`;
        assert.deepEqual(renderedIcons(text), ['$(check)']);
        assert.equal(unsafeCharacter(text), undefined);
      });

      it('log line: one line, nothing invisible, bounded', () => {
        const line = logLine(`Decision APPROVED for ${hostile}: published`);
        assert.equal(unsafeCharacter(line), undefined);
        assert.ok(line.length <= MAX_LOG_LINE_CHARS);
      });
    });
  }

  it('no link target of the corpus survives in a message as a link', () => {
    const all = message`${HOSTILE_STRINGS.map(([, text]) => text.slice(0, 200)).join(' ')}`;
    for (const target of HOSTILE_LINK_TARGETS) assert.ok(!workbenchLinks(all).some((link) => link.includes(target)), target);
  });

  it('a link split between a value and the literal text is broken too', () => {
    assert.deepEqual(workbenchLinks(message`${'[x'}](command:workbench.action.openSettings)`), []);
  });
});

describe('what each surface shows of ordinary and hostile text', () => {
  it('leaves ordinary text as it is on every surface', () => {
    const ordinary = 'transform_images · drop_rate 12.0% > 10.0% — café 🚀';
    assert.equal(message`${ordinary}`, ordinary);
    assert.equal(label`${ordinary}`, ordinary);
    assert.equal(iconLabel`${ordinary}`, ordinary);
    assert.equal(logLine(ordinary), ordinary);
  });

  it('shows line breaks as ⏎, so a forged line stays on the line it came in', () => {
    assert.equal(label`${'a\nb\r\nc\rd\u2028e'}`, `a${LINE_BREAK_MARK}b${LINE_BREAK_MARK}c${LINE_BREAK_MARK}d${LINE_BREAK_MARK}e`);
    assert.equal(logLine('ok\n[info] forged'), `ok${LINE_BREAK_MARK}[info] forged`);
  });

  it('shows controls, bidi overrides and zero-width characters as visible marks, and lone surrogates as U+FFFD', () => {
    assert.equal(visibleText('a\u0000b\u0007c\u007fd'), 'a␀b␇c␡d');
    assert.equal(visibleText('x\u202Ey\u200Bz\u009b'), 'x<U+202E>y<U+200B>z<U+009B>');
    assert.equal(visibleText('tab\there'), 'tab here');
    assert.equal(visibleText('\ud83d!\ude80'), '\ufffd!\ufffd');
    assert.equal(visibleText('🚀'), '🚀');
  });

  it('breaks a notification link by a space, keeping its text readable', () => {
    assert.equal(message`${'[Open](command:x)'}`, '[Open] (command:x)');
  });

  it('escapes a value’s icon so that quick picks and the status bar show it literally', () => {
    assert.equal(iconLabel`${'$(check) ok'}`, '\\$(check) ok');
    // A value's own escape stays the text it was: the workbench shows `\$(bug)`.
    assert.equal(iconLabel`${'\\$(bug)'}`, '\\\\$(bug)');
    assert.equal(label`${'$(check) ok'}`, '$(check) ok');
  });

  it('escapes Markdown syntax, code spans and HTML in a value, never in the literal parts', () => {
    assert.equal(markdown`**${'`a`'}**`, '**\\`a\\`**');
    assert.equal(markdown`${'<b>&amp;</b>'}`, '\\<b\\>\\&amp\\;\\<\\/b\\>');
    assert.equal(markdown`${'[x](command:y)'}`, '\\[x\\]\\(command\\:y\\)');
  });

  it('cuts a 10 kB value, never mid-pair, and keeps the message bounded', () => {
    assert.equal(label`${'x'.repeat(10_000)}`.length, MAX_LABEL_VALUE_CHARS);
    assert.ok(label`${'🚀'.repeat(6_000)}`.endsWith('🚀…'));
    assert.ok(message`${'x'.repeat(10_000)} ${'y'.repeat(10_000)} ${'z'.repeat(10_000)} ${'w'.repeat(10_000)}`.length <= MAX_MESSAGE_CHARS);
  });

  it('shows a value that is not text as its text', () => {
    assert.equal(label`${42} ${null} ${new Error('boom\nsecond')}`, `42 null boom${LINE_BREAK_MARK}second`);
  });
});

describe('untrusted text, fuzzed', () => {
  // Characters that mean something to some surface, and ordinary ones, in random strings.
  const POOL = [
    'a', 'Z', '0', ' ', '\t', '\n', '\r', '\u0085', '\u2028', '\u0000', '\u001b', '\u007f', '\u009b', '\u202e', '\u2066', '\u200b', '\ufeff', '\u00ad',
    '\ud83d', '\ude80', '🚀', 'é', '[', ']', '(', ')', '!', '`', '$', '\\', '<', '>', '&', '#', '*', '_', '~', '|', ':', '/', '.', '@',
    'command:', 'https://', 'file:', 'www.', '$(', 'check', '](', '&#x202E;',
  ];
  const random = seededRandom(20261130);
  const sample = (): string => Array.from({ length: Math.floor(random() * 60) }, () => POOL[Math.floor(random() * POOL.length)]).join('');

  it('holds every surface’s guarantees for 2,000 random strings (seed 20261130)', () => {
    for (let i = 0; i < 2000; i += 1) {
      const text = sample();
      const shown = JSON.stringify(text);
      const inMessage = message`Run ${text} is waiting (${text}).`;
      assert.deepEqual(workbenchLinks(inMessage), [], shown);
      assert.equal(unsafeCharacter(inMessage), undefined, shown);
      const prompt = inputPrompt`Recorded as ${text}.`;
      assert.deepEqual(workbenchLinks(prompt), [], shown);
      assert.deepEqual(renderedIcons(prompt), [], shown);
      assert.deepEqual(renderedIcons(iconLabel`${text}`), [], shown);
      assert.equal(unsafeCharacter(label`${text}`), undefined, shown);
      const escaped = markdown`${text}`;
      assert.deepEqual(unescapedMarkdown(escaped), [], shown);
      assert.equal(unsafeCharacter(escaped), undefined, shown);
      assert.equal(unsafeCharacter(logLine(text)), undefined, shown);
    }
  });
});

describe('terminal lines (the CLI)', () => {
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  const RAW = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\p{Cf}\u2028\u2029]/u;
  for (const [name, text] of HOSTILE_STRINGS) {
    it(`never lets ${name} act on the terminal`, () => {
      const line = terminal`run ${text} of job`;
      assert.equal(RAW.exec(line), null, JSON.stringify(line.slice(0, 200)));
      assert.ok(line.startsWith('run ') && line.endsWith(' of job'));
      const json = terminalJson({ value: text });
      assert.equal(RAW.exec(json), null, 'JSON escapes every such character');
      assert.deepEqual(JSON.parse(json), { value: text }, 'and still holds the same data');
    });
  }

  it('keeps ordinary text and our own colours', () => {
    assert.equal(terminal`\u001b[31m${'load_orders · 12.0% > 10.0%'}\u001b[39m`, '\u001b[31mload_orders · 12.0% > 10.0%\u001b[39m');
  });
});

