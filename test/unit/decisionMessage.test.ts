import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import {
  buildDecisionMessage,
  buildDecisionMessageV1,
  decisionSha256,
  draftDecision,
  messageSha256,
  canonicalForm,
  DecisionMessageError,
  formatDecisionTimestamp,
  isDecisionFresh,
  MAX_REASON_CHARS,
  parseDecisionMessage,
  publishParameters,
  reasonValidationError,
  signMessage,
  validateDecisionMessage,
  verifyMessageSignature,
  type DecisionInput,
  type DecisionMessage,
} from '../../src/core/decisionMessage';
import { fakeProof, signV2 } from './fakeIdentity';

const SECRET = 'test-signing-secret-0123456789';
const EVIDENCE = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

// Written out by hand (keys in sorted order, no whitespace), not produced by the code under
// test. The expected signatures were also computed outside Node, with Python's hmac module.
const VECTOR_1_CANONICAL =
  '{"decided_by":"jsmith","decision":"APPROVED","decision_id":"3f2b8c1e-9d4a-4e6b-8f0a-1c2d3e4f5a6b","event_type":"approval_decision","evidence_sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","identity_arn":"arn:aws:iam::123456789012:user/jsmith","job_name":"transform_images","job_run_id":"abc123","reason":"Known vendor issue in batch 2024-01-15","signature_version":"v1","timestamp":"2024-01-15T11:00:00Z"}';
const VECTOR_1_SIGNATURE = '49d6ba23dc9636122be033656052e74d848b81a7a7c21bd42b75320b16b347fa';

const VECTOR_2_CANONICAL =
  '{"decided_by":"jane@corp.com","decision":"REJECTED","decision_id":"0b7e6f5a-1c2d-4e3f-a4b5-c6d7e8f90a1b","event_type":"approval_decision","evidence_sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","identity_arn":"arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_abc123/jane@corp.com","job_name":"load_customers","job_run_id":"run-ü-42","reason":"Données corrompues — \\"lot 7\\"\\nà refaire ✓ 🚀","signature_version":"v1","timestamp":"2024-01-15T11:00:00Z"}';
const VECTOR_2_SIGNATURE = '045e71c08a911be676028df39412c400e1aad727fbafa72929faaf43afa42af8';

function hmacHex(text: string, secret: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(text, 'utf8')).digest('hex');
}

const input1: DecisionInput = {
  jobName: 'transform_images',
  jobRunId: 'abc123',
  decision: 'APPROVED',
  reason: '  Known vendor issue in batch 2024-01-15\n',
  identityArn: 'arn:aws:iam::123456789012:user/jsmith',
  evidenceSha256: EVIDENCE,
  decisionId: '3f2b8c1e-9d4a-4e6b-8f0a-1c2d3e4f5a6b',
  timestamp: new Date('2024-01-15T11:00:00.734Z'),
};

const input2: DecisionInput = {
  jobName: 'load_customers',
  jobRunId: 'run-ü-42',
  decision: 'REJECTED',
  reason: 'Données corrompues — "lot 7"\nà refaire ✓ 🚀',
  identityArn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_abc123/jane@corp.com',
  evidenceSha256: EVIDENCE,
  decisionId: '0b7e6f5a-1c2d-4e3f-a4b5-c6d7e8f90a1b',
  timestamp: Date.UTC(2024, 0, 15, 11),
};

describe('decision message signature v1', () => {
  describe('known-answer vectors', () => {
    it('the hand-written canonical strings have the expected HMACs (checks the test itself)', () => {
      assert.equal(hmacHex(VECTOR_1_CANONICAL, SECRET), VECTOR_1_SIGNATURE);
      assert.equal(hmacHex(VECTOR_2_CANONICAL, SECRET), VECTOR_2_SIGNATURE);
    });

    it('builds vector 1: the canonical form and signature match the hand-written ones', () => {
      const message = buildDecisionMessageV1(input1, SECRET);
      assert.equal(canonicalForm(message), VECTOR_1_CANONICAL);
      assert.equal(message.signature, VECTOR_1_SIGNATURE);
      assert.equal(verifyMessageSignature(message, SECRET), true);
    });

    it('builds vector 2: unicode reason, quotes and newline, SSO identity', () => {
      const message = buildDecisionMessageV1(input2, SECRET);
      assert.equal(message.decided_by, 'jane@corp.com');
      assert.equal(canonicalForm(message), VECTOR_2_CANONICAL);
      assert.equal(message.signature, VECTOR_2_SIGNATURE);
      assert.equal(verifyMessageSignature(message, SECRET), true);
    });

    it('verifies a message that arrives as JSON with keys in another order', () => {
      const parsed = JSON.parse(VECTOR_2_CANONICAL) as Record<string, unknown>;
      const shuffled = Object.fromEntries(Object.entries({ ...parsed, signature: VECTOR_2_SIGNATURE }).reverse());
      const result = parseDecisionMessage(JSON.stringify(shuffled, null, 2));
      assert.ok(result.ok);
      assert.equal(verifyMessageSignature(result.message, SECRET), true);
    });

    it('accepts the secret as bytes', () => {
      assert.equal(signMessage(buildDecisionMessageV1(input1, SECRET), Buffer.from(SECRET, 'utf8')), VECTOR_1_SIGNATURE);
    });
  });

  describe('canonicalForm', () => {
    it('excludes signature and nothing else', () => {
      const message = buildDecisionMessageV1(input1, SECRET);
      const fields = JSON.parse(canonicalForm(message)) as Record<string, unknown>;
      assert.equal('signature' in fields, false);
      assert.deepEqual(Object.keys(fields).sort(), Object.keys(message).filter((k) => k !== 'signature').sort());
      assert.equal(Object.keys(fields).length, 11);
    });

    it('is the same with or without a signature', () => {
      const message = buildDecisionMessageV1(input1, SECRET);
      const unsigned: Partial<DecisionMessage> = { ...message };
      delete unsigned.signature;
      assert.equal(canonicalForm(unsigned as DecisionMessage), canonicalForm(message));
      assert.equal(canonicalForm({ ...message, signature: 'other' }), canonicalForm(message));
    });
  });

  describe('verifyMessageSignature', () => {
    const message = buildDecisionMessageV1(input1, SECRET);

    const tampered: Array<[keyof DecisionMessage, string]> = [
      ['event_type', 'approval_decisioN'],
      ['job_name', 'transform_images2'],
      ['job_run_id', 'abc124'],
      ['timestamp', '2024-01-15T11:00:01Z'],
      ['decision', 'REJECTED'],
      ['decided_by', 'someone'],
      ['reason', 'Known vendor issue in batch 2024-01-16'],
      ['decision_id', '3f2b8c1e-9d4a-4e6b-8f0a-1c2d3e4f5a6c'],
      ['identity_arn', 'arn:aws:iam::123456789013:user/jsmith'],
      ['evidence_sha256', EVIDENCE.replace(/^9/, '8')],
      ['signature_version', 'v2'],
    ];
    for (const [field, value] of tampered) {
      it(`fails when ${field} is changed`, () => {
        assert.equal(verifyMessageSignature({ ...message, [field]: value }, SECRET), false);
      });
    }

    it('fails when a field is added', () => {
      assert.equal(verifyMessageSignature({ ...message, extra: 'x' } as unknown as DecisionMessage, SECRET), false);
    });

    it('fails with another secret, and with an empty one', () => {
      assert.equal(verifyMessageSignature(message, `${SECRET}x`), false);
      assert.equal(verifyMessageSignature(message, ''), false);
    });

    it('fails, without throwing, for signatures of the wrong length or alphabet', () => {
      for (const signature of ['', message.signature.slice(0, 62), `${message.signature}00`, message.signature.slice(0, 63), message.signature.toUpperCase(), 'z'.repeat(64), `${message.signature.slice(0, 63)}g`]) {
        assert.equal(verifyMessageSignature({ ...message, signature }, SECRET), false, signature);
      }
    });

    it('fails for a signature of the right shape that is wrong in one digit', () => {
      const last = message.signature.at(-1) === '0' ? '1' : '0';
      assert.equal(verifyMessageSignature({ ...message, signature: message.signature.slice(0, 63) + last }, SECRET), false);
    });

    it('fails, without throwing, for a message that is not JSON-able', () => {
      assert.equal(verifyMessageSignature({ ...message, reason: Number.NaN } as unknown as DecisionMessage, SECRET), false);
    });
  });
});

describe('buildDecisionMessageV1', () => {
  it('fills in the seed fields and ours', () => {
    const message = buildDecisionMessageV1(input1, SECRET);
    assert.deepEqual(
      { ...message, signature: undefined },
      {
        event_type: 'approval_decision',
        job_name: 'transform_images',
        job_run_id: 'abc123',
        timestamp: '2024-01-15T11:00:00Z',
        decision: 'APPROVED',
        decided_by: 'jsmith',
        reason: 'Known vendor issue in batch 2024-01-15',
        decision_id: '3f2b8c1e-9d4a-4e6b-8f0a-1c2d3e4f5a6b',
        identity_arn: 'arn:aws:iam::123456789012:user/jsmith',
        evidence_sha256: EVIDENCE,
        signature_version: 'v1',
        signature: undefined,
      },
    );
  });

  it('makes a new UUID v4 decision_id each time unless one is given', () => {
    const withoutId: DecisionInput = { ...input1 };
    delete withoutId.decisionId;
    const a = buildDecisionMessageV1(withoutId, SECRET);
    const b = buildDecisionMessageV1(withoutId, SECRET);
    assert.match(a.decision_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(a.decision_id, b.decision_id);
  });

  it('uses the given decided_by over the ARN’s', () => {
    assert.equal(buildDecisionMessageV1({ ...input1, decidedBy: 'j.smith' }, SECRET).decided_by, 'j.smith');
  });

  it('writes the timestamp in UTC whole seconds with a Z', () => {
    assert.equal(formatDecisionTimestamp(new Date('2024-07-01T23:59:59.999+02:00')), '2024-07-01T21:59:59Z');
    assert.equal(formatDecisionTimestamp(0), '1970-01-01T00:00:00Z');
    assert.throws(() => formatDecisionTimestamp(Number.NaN), DecisionMessageError);
  });

  it('defaults the timestamp to now', () => {
    const withoutTime: DecisionInput = { ...input1 };
    delete withoutTime.timestamp;
    const before = Math.floor(Date.now() / 1000) * 1000;
    const ms = Date.parse(buildDecisionMessageV1(withoutTime, SECRET).timestamp);
    assert.ok(ms >= before && ms <= Date.now());
  });

  it('refuses an empty reason, or one made of spaces', () => {
    assert.throws(() => buildDecisionMessageV1({ ...input1, reason: ' \n\t ' }, SECRET), { name: 'DecisionMessageError', message: 'A reason is required.' });
  });

  it('refuses an empty secret, a bad decision_id, a bad evidence hash, an unknown identity', () => {
    assert.throws(() => buildDecisionMessageV1(input1, ''), /signing secret is empty/);
    assert.throws(() => buildDecisionMessageV1({ ...input1, decisionId: 'not-a-uuid' }, SECRET), /decision_id/);
    assert.throws(() => buildDecisionMessageV1({ ...input1, decisionId: '3F2B8C1E-9D4A-4E6B-8F0A-1C2D3E4F5A6B' }, SECRET), /lower-case UUID v4/);
    assert.throws(() => buildDecisionMessageV1({ ...input1, evidenceSha256: 'abc' }, SECRET), /evidence_sha256/);
    assert.throws(() => buildDecisionMessageV1({ ...input1, identityArn: 'nobody' }, SECRET), /Cannot tell who you are/);
    assert.throws(() => buildDecisionMessageV1({ ...input1, jobRunId: '' }, SECRET), /job_run_id is empty/);
  });
});

describe('reasonValidationError', () => {
  it('requires a reason', () => {
    assert.equal(reasonValidationError(''), 'A reason is required.');
    assert.equal(reasonValidationError('   \n'), 'A reason is required.');
  });

  it('accepts a reason up to the limit, counting an emoji as one character', () => {
    assert.equal(reasonValidationError('ok'), null);
    assert.equal(reasonValidationError('🚀'.repeat(MAX_REASON_CHARS)), null);
    assert.equal(reasonValidationError(`  ${'a'.repeat(MAX_REASON_CHARS)}  `), null);
  });

  it('says how long a too-long reason is', () => {
    assert.equal(reasonValidationError('a'.repeat(MAX_REASON_CHARS + 1)), `The reason is too long: ${MAX_REASON_CHARS + 1} characters, at most ${MAX_REASON_CHARS}.`);
  });
});

describe('parseDecisionMessage', () => {
  const good = buildDecisionMessageV1(input2, SECRET);
  const json = (overrides: Record<string, unknown>): string => JSON.stringify({ ...good, ...overrides });

  it('reads a valid message', () => {
    const result = parseDecisionMessage(JSON.stringify(good));
    assert.deepEqual(result, { ok: true, message: good });
  });

  it('accepts a timestamp with milliseconds', () => {
    assert.equal(parseDecisionMessage(json({ timestamp: '2024-01-15T11:00:00.123Z' })).ok, true);
  });

  const invalid: Array<[string, string, RegExp]> = [
    ['not JSON', '{', /not JSON/],
    ['a list', '[]', /not a JSON object/],
    ['null', 'null', /not a JSON object/],
    ['missing reason', JSON.stringify({ ...good, reason: undefined }), /reason is missing/],
    ['a numeric job_run_id', json({ job_run_id: 42 }), /job_run_id is not text/],
    ['another event type', json({ event_type: 'job_completed' }), /event_type/],
    ['a decision of MAYBE', json({ decision: 'MAYBE' }), /decision is neither/],
    ['a lower-case decision', json({ decision: 'approved' }), /decision is neither/],
    ['a timestamp without Z', json({ timestamp: '2024-01-15T11:00:00+00:00' }), /timestamp/],
    ['a timestamp that is no date', json({ timestamp: '2024-02-30T11:00:00Z' }), /timestamp/],
    ['an untrimmed reason', json({ reason: ' padded ' }), /not trimmed/],
    ['an empty reason', json({ reason: '' }), /A reason is required/],
    ['a too-long reason', json({ reason: 'a'.repeat(MAX_REASON_CHARS + 1) }), /too long/],
    ['an empty decided_by', json({ decided_by: ' ' }), /decided_by is empty/],
    ['a decision_id that is not UUID v4', json({ decision_id: '3f2b8c1e-9d4a-1e6b-8f0a-1c2d3e4f5a6b' }), /decision_id/],
    ['a garbage identity_arn', json({ identity_arn: 'arn:aws:s3:::bucket' }), /identity_arn/],
    ['a short evidence hash', json({ evidence_sha256: 'abc' }), /evidence_sha256/],
    ['signature version v2 without its proof', json({ signature_version: 'v2' }), /identity_proof is not an object/],
    ['a signature that is not hex', json({ signature: 'x'.repeat(64) }), /signature is not/],
    ['an unexpected field', json({ approve_all: true }), /Unexpected field\(s\): approve_all/],
  ];
  for (const [label, text, reason] of invalid) {
    it(`refuses ${label}`, () => {
      const result = parseDecisionMessage(text);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.reason, reason);
    });
  }

  it('returns the fields it could read, so that an invalid message can be audited', () => {
    const result = parseDecisionMessage(json({ decision: 'MAYBE' }));
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.fields?.job_run_id, 'run-ü-42');
  });

  it('validateDecisionMessage reads an already parsed value', () => {
    assert.equal(validateDecisionMessage({ ...good }).ok, true);
    assert.equal(validateDecisionMessage('text').ok, false);
  });
});

describe('isDecisionFresh', () => {
  const at = Date.UTC(2024, 0, 15, 11);
  it('accepts ±15 minutes, boundaries included', () => {
    assert.equal(isDecisionFresh({ timestamp: '2024-01-15T11:00:00Z' }, at + 15 * 60_000), true);
    assert.equal(isDecisionFresh({ timestamp: '2024-01-15T11:00:00Z' }, at - 15 * 60_000), true);
    assert.equal(isDecisionFresh({ timestamp: '2024-01-15T11:00:00Z' }, at + 15 * 60_000 + 1), false);
    assert.equal(isDecisionFresh({ timestamp: '2024-01-15T11:00:00Z' }, at - 15 * 60_000 - 1), false);
  });
  it('refuses a timestamp that is not a date', () => {
    assert.equal(isDecisionFresh({ timestamp: 'now' }, at), false);
  });
});

describe('publishParameters', () => {
  const message = buildDecisionMessageV1(input1, SECRET);

  it('sets the decision attribute that subscription filter policies read', () => {
    const params = publishParameters(message, 'arn:aws:sns:us-east-1:123456789012:job_approvals');
    assert.deepEqual(params.MessageAttributes, { decision: { DataType: 'String', StringValue: 'APPROVED' } });
    assert.equal(params.MessageGroupId, undefined);
    assert.equal(params.MessageDeduplicationId, undefined);
    const parsed = parseDecisionMessage(params.Message);
    assert.ok(parsed.ok);
    assert.equal(verifyMessageSignature(parsed.message, SECRET), true);
  });

  it('groups by run and deduplicates by decision on a FIFO topic', () => {
    const params = publishParameters(message, 'arn:aws:sns:us-east-1:123456789012:job_approvals.fifo');
    assert.equal(params.MessageGroupId, 'abc123');
    assert.equal(params.MessageDeduplicationId, '3f2b8c1e-9d4a-4e6b-8f0a-1c2d3e4f5a6b');
  });
});

describe('decision message signature v2', () => {
  const at = Date.UTC(2024, 0, 15, 11);
  const v2Input: DecisionInput = { ...input1, timestamp: at };

  it('binds the proof to the hash of every field but signature and identity_proof (known answer)', () => {
    const draft = draftDecision(v2Input);
    const canonical = VECTOR_1_CANONICAL.replace('"signature_version":"v1"', '"signature_version":"v2"');
    assert.equal(decisionSha256(draft), createHash('sha256').update(canonical, 'utf8').digest('hex'));
    const message = signV2(v2Input, SECRET);
    assert.equal(decisionSha256(message), decisionSha256(draft), 'the proof and the signature are not part of it');
    assert.equal(message.identity_proof.headers['x-dwh-decision-sha256'], decisionSha256(draft));
  });

  it('signs every field but the signature with the HMAC, the proof included', () => {
    const message = signV2(v2Input, SECRET);
    assert.equal(verifyMessageSignature(message, SECRET), true);
    const otherProof = { ...message, identity_proof: { ...message.identity_proof, headers: { ...message.identity_proof.headers, 'x-amz-date': '20240115T110001Z' } } };
    assert.equal(verifyMessageSignature(otherProof, SECRET), false);
  });

  it('builds through the prover it is given, with the draft hash', async () => {
    let asked = '';
    const message = await buildDecisionMessage(v2Input, SECRET, (hash) => {
      asked = hash;
      return Promise.resolve(fakeProof(hash, v2Input.identityArn, at));
    });
    assert.equal(asked, decisionSha256(message));
    assert.equal(message.signature_version, 'v2');
    assert.ok(parseDecisionMessage(JSON.stringify(message)).ok);
  });

  it('refuses to build with a proof bound to another decision', async () => {
    await assert.rejects(
      buildDecisionMessage(v2Input, SECRET, () => Promise.resolve(fakeProof('0'.repeat(64), v2Input.identityArn, at))),
      /bound to another decision/,
    );
  });

  const good = signV2(v2Input, SECRET);
  const withProof = (change: (proof: Record<string, unknown>, headers: Record<string, string>) => void): string => {
    const copy = structuredClone(good) as unknown as { identity_proof: Record<string, unknown> & { headers: Record<string, string> } };
    change(copy.identity_proof, copy.identity_proof.headers);
    return JSON.stringify(copy);
  };
  const refusals: Array<[string, string, RegExp]> = [
    ['a proof of another decision', JSON.stringify({ ...good, reason: 'changed' }), /bound to another decision/],
    ['a proof that is not an object', JSON.stringify({ ...good, identity_proof: 'x' }), /identity_proof is not an object/],
    ['a GET', withProof((p) => (p.method = 'GET')), /method is not POST/],
    ['another action', withProof((p) => (p.body = 'Action=AssumeRole&Version=2011-06-15')), /body is not Action=GetCallerIdentity/],
    ['a URL with a path', withProof((p) => (p.url = 'https://sts.us-east-1.amazonaws.com/x?y')), /url is not/],
    ['an unsigned decision hash', withProof((_, h) => (h.authorization = (h.authorization ?? '').replace(';x-dwh-decision-sha256', ''))), /does not sign x-dwh-decision-sha256|unsigned header/],
    ['an unsigned extra header', withProof((_, h) => (h['x-extra'] = '1')), /unsigned header\(s\): x-extra/],
    ['a header name in capitals', withProof((_, h) => (h['X-Extra'] = '1')), /not lower-case/],
    ['a header with a line break', withProof((_, h) => (h.host = 'a\r\nb')), /one-line/],
    ['no authorization', withProof((_, h) => delete h.authorization), /has no authorization/],
    ['a v1 authorization', withProof((_, h) => (h.authorization = 'AWS AKIA:sig')), /not an AWS4-HMAC-SHA256/],
    ['an extra proof field', withProof((p) => (p.target = 'x')), /unexpected field/],
  ];
  for (const [label, text, reason] of refusals) {
    it(`refuses ${label}`, () => {
      const result = parseDecisionMessage(text);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.reason, reason);
    });
  }

  it('keeps the v1 field set for v1: identity_proof is unexpected there', () => {
    const v1 = buildDecisionMessageV1(input1, SECRET);
    const result = parseDecisionMessage(JSON.stringify({ ...v1, identity_proof: good.identity_proof }));
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.reason, /Unexpected field\(s\): identity_proof/);
  });

  it('messageSha256 covers everything, signature and proof included', () => {
    assert.notEqual(messageSha256(good), messageSha256({ ...good, signature: '0'.repeat(64) }));
    assert.equal(messageSha256(good), messageSha256(JSON.parse(JSON.stringify(good)) as DecisionMessage));
  });
});
