import assert from 'node:assert/strict';
import { canDecide, MAX_MESSAGE_TEXT, parsePageMessage, parsePageState } from '../../src/shared/webviewMessages';

describe('parsePageMessage', () => {
  it('accepts each page message in its shape', () => {
    assert.deepEqual(parsePageMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parsePageMessage({ type: 'refresh', extra: 1 }), { type: 'refresh' });
    assert.deepEqual(parsePageMessage({ type: 'decide', decision: 'APPROVED', reason: 'ok' }), { type: 'decide', decision: 'APPROVED', reason: 'ok' });
    assert.deepEqual(parsePageMessage({ type: 'reasonChanged', reason: '' }), { type: 'reasonChanged', reason: '' });
    assert.deepEqual(parsePageMessage({ type: 'copy', text: 'abc123' }), { type: 'copy', text: 'abc123' });
    assert.deepEqual(parsePageMessage({ type: 'openArtifact', path: 's3://b/k' }), { type: 'openArtifact', path: 's3://b/k' });
    assert.deepEqual(parsePageMessage({ type: 'fix', target: 'identity' }), { type: 'fix', target: 'identity' });
  });

  it('drops fields it does not know', () => {
    const parsed = parsePageMessage({ type: 'decide', decision: 'REJECTED', reason: 'r', decisionId: 'x', run: {} });
    assert.deepEqual(parsed, { type: 'decide', decision: 'REJECTED', reason: 'r' });
  });

  it('refuses anything else', () => {
    for (const value of [
      null,
      undefined,
      'ready',
      [],
      { type: 'nope' },
      { type: 'decide', decision: 'MAYBE', reason: 'r' },
      { type: 'decide', decision: 'APPROVED' },
      { type: 'decide', decision: 'APPROVED', reason: 42 },
      { type: 'decide', decision: 'APPROVED', reason: 'x'.repeat(MAX_MESSAGE_TEXT + 1) },
      { type: 'copy', text: '' },
      { type: 'copy' },
      { type: 'openArtifact', path: { toString: () => 's3://b/k' } },
      { type: 'fix', target: 'workbench.action.openSettings' },
      JSON.parse('{"__proto__": {"type": "ready"}}') as unknown,
    ]) {
      assert.equal(parsePageMessage(value), undefined, JSON.stringify(value));
    }
  });
});

describe('canDecide', () => {
  it('allows publishing only when nothing is under way or done', () => {
    assert.equal(canDecide({ kind: 'idle' }), true);
    assert.equal(canDecide({ kind: 'failed', decision: 'APPROVED', message: 'x' }), true);
    assert.equal(canDecide({ kind: 'evidenceChanged', decision: 'APPROVED' }), true);
    assert.equal(canDecide({ kind: 'publishing', decision: 'APPROVED' }), false);
    assert.equal(canDecide({ kind: 'confirming', decision: 'REJECTED' }), false);
    assert.equal(canDecide({ kind: 'published', decision: 'APPROVED', decisionId: null, messageId: null, waiting: true }), false);
    assert.equal(canDecide({ kind: 'published', decision: 'APPROVED', decisionId: 'd', messageId: null, waiting: false, audit: { status: 'superseded', detail: null } }), false);
    // Turned down by the processor while the run still waits: the form is open again.
    assert.equal(canDecide({ kind: 'notApplied', decision: 'APPROVED', decisionId: 'd', status: 'refused', detail: 'self-approval', evidenceChanged: false }), true);
    assert.equal(canDecide({ kind: 'alreadyDecided', status: 'APPROVED', decidedBy: 'x', decidedAt: 'y', reason: '' }), false);
    assert.equal(canDecide({ kind: 'closed', status: 'SUCCESS', approval: null }), false);
  });
});

describe('parsePageState', () => {
  it('reads the run id the page kept', () => {
    assert.deepEqual(parsePageState({ jobRunId: 'abc123' }), { jobRunId: 'abc123' });
    assert.deepEqual(parsePageState({ jobRunId: 'abc123', other: 1 }), { jobRunId: 'abc123' });
  });

  it('refuses a state without a usable run id', () => {
    for (const state of [undefined, null, 'abc123', ['abc123'], {}, { jobRunId: '' }, { jobRunId: '  ' }, { jobRunId: 42 }, { jobRunId: 'x'.repeat(1001) }]) {
      assert.equal(parsePageState(state), undefined, JSON.stringify(state));
    }
  });
});
