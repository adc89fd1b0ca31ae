// The Lambda deployment package: scripts/lib/zip.mjs read back by another implementation
// (Python's zipfile, which tests every entry's CRC), reproducible byte for byte, and the
// checker the infra test uses on IAM policies, checked on cases with known answers.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isAllowed, type PolicyDocument } from '../support/iamPolicy';

type ZipModule = { zipFiles(files: Array<{ name: string; data: Buffer | Uint8Array; mode?: number }>): Buffer };
const ZIP_MODULE = '../../scripts/lib/zip.mjs';

const readBack = (zip: Buffer): Record<string, string> => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dwh-zip-')), 'a.zip');
  fs.writeFileSync(file, zip);
  const script = 'import json,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(json.dumps({i.filename: z.read(i).decode("utf-8") for i in z.infolist()}))';
  const result = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as Record<string, string>;
};

describe('processor package', () => {
  let zip: ZipModule;
  before(async () => {
    zip = (await import(ZIP_MODULE)) as ZipModule;
  });

  it('zips files that another zip reader reads back exactly, names in UTF-8', () => {
    const big = 'exports.handler = async () => 1;\n'.repeat(5000);
    const files = { 'processor.js': big, 'nested/ünïcode.txt': 'é ✓ 😀' };
    const archive = zip.zipFiles(Object.entries(files).map(([name, text]) => ({ name, data: Buffer.from(text) })));
    assert.deepEqual(readBack(archive), files);
    assert.ok(archive.length < big.length / 10, 'the content is deflated');
  });

  it('gives the same bytes for the same input, so a redeploy without a change uploads nothing', () => {
    const input = [{ name: 'processor.js', data: Buffer.from('x'.repeat(1000)) }];
    assert.deepEqual(zip.zipFiles(input), zip.zipFiles(input));
    assert.notDeepEqual(zip.zipFiles(input), zip.zipFiles([{ name: 'processor.js', data: Buffer.from('y'.repeat(1000)) }]));
  });

  it('refuses entry names that would land outside the directory it is unpacked in, and duplicates', () => {
    for (const name of ['../processor.js', '/processor.js', 'a/../../b', '']) {
      assert.throws(() => zip.zipFiles([{ name, data: Buffer.from('x') }]), /relative/, name);
    }
    assert.throws(() => zip.zipFiles([{ name: 'a', data: Buffer.from('x') }, { name: 'a', data: Buffer.from('y') }]), /twice/);
  });
});

describe('the IAM policy checker of the infra test', () => {
  const policy: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'es:ESHttpPost', Resource: 'arn:aws:es:r:1:domain/d/job-events/_search' },
      { Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: 'arn:aws:ssm:r:1:parameter/dwh/*' },
      { Effect: 'Deny', Action: 'ssm:*', Resource: 'arn:aws:ssm:r:1:parameter/dwh/secret' },
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: 'k', Condition: { StringEquals: { 'kms:ViaService': ['ssm.r.amazonaws.com'] } } },
    ],
  };

  it('allows what a statement names, with wildcards, and nothing next to it', () => {
    assert.ok(isAllowed([policy], { action: 'es:ESHttpPost', resource: 'arn:aws:es:r:1:domain/d/job-events/_search' }));
    assert.ok(isAllowed([policy], { action: 'ES:eshttppost', resource: 'arn:aws:es:r:1:domain/d/job-events/_search' }), 'actions ignore case');
    assert.equal(isAllowed([policy], { action: 'es:ESHttpPost', resource: 'arn:aws:es:r:1:domain/d/job-events/_update/1' }), false);
    assert.equal(isAllowed([policy], { action: 'es:ESHttpGet', resource: 'arn:aws:es:r:1:domain/d/job-events/_search' }), false);
    assert.ok(isAllowed([policy], { action: 'ssm:GetParameter', resource: 'arn:aws:ssm:r:1:parameter/dwh/a/b' }));
  });

  it('lets a Deny win, and a condition hold only when the request carries its key and value', () => {
    assert.equal(isAllowed([policy], { action: 'ssm:GetParameter', resource: 'arn:aws:ssm:r:1:parameter/dwh/secret' }), false);
    assert.ok(isAllowed([policy], { action: 'kms:Decrypt', resource: 'k', context: { 'kms:ViaService': 'ssm.r.amazonaws.com' } }));
    assert.equal(isAllowed([policy], { action: 'kms:Decrypt', resource: 'k', context: { 'kms:ViaService': 'sns.r.amazonaws.com' } }), false);
    assert.equal(isAllowed([policy], { action: 'kms:Decrypt', resource: 'k' }), false);
  });

  it('refuses to judge what it does not understand instead of allowing it', () => {
    assert.throws(() => isAllowed([{ Statement: { Effect: 'Allow', NotAction: 's3:*', Resource: '*' } }], { action: 'x:y', resource: 'r' }), /NotAction/);
    assert.throws(
      () => isAllowed([{ Statement: { Effect: 'Allow', Action: 'x:y', Resource: 'r', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } } }], { action: 'x:y', resource: 'r', context: { 'aws:SourceIp': '10.1.1.1' } }),
      /IpAddress/,
    );
  });
});
