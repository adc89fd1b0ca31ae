import assert from 'node:assert/strict';
import { encodeS3Key, parseS3Uri, s3ConsoleUrl } from '../../src/core/s3Console';

/** The key the console reads back from a link: its `prefix` parameter, decoded as a browser does. */
function prefixOf(url: string): string | null {
  return new URL(url).searchParams.get('prefix');
}

describe('S3 URIs', () => {
  it('reads bucket and key', () => {
    assert.deepEqual(parseS3Uri('s3://dwh-data/a/b.parquet'), { bucket: 'dwh-data', key: 'a/b.parquet' });
    assert.deepEqual(parseS3Uri('s3a://dwh-data'), { bucket: 'dwh-data', key: '' });
    assert.deepEqual(parseS3Uri('s3://dwh-data/a b/c#d&e+f/ü.parquet'), { bucket: 'dwh-data', key: 'a b/c#d&e+f/ü.parquet' });
  });

  it('refuses what is not one', () => {
    assert.equal(parseS3Uri('https://example.com/x'), null);
    assert.equal(parseS3Uri('s3://'), null);
    assert.equal(parseS3Uri('/tmp/x'), null);
    assert.equal(parseS3Uri('s3://a/x'), null); // bucket names have three characters at least
  });
});

describe('S3 console links', () => {
  it('links an object to its object page on the region’s console', () => {
    assert.equal(
      s3ConsoleUrl('s3://dwh-data/nautilus/part-0.parquet', 'eu-west-1'),
      'https://eu-west-1.console.aws.amazon.com/s3/object/dwh-data?region=eu-west-1&prefix=nautilus/part-0.parquet',
    );
  });

  it('links a prefix to the bucket listing at that prefix', () => {
    assert.equal(
      s3ConsoleUrl('s3://dwh-data/nautilus/year=2024/', 'us-east-1'),
      'https://us-east-1.console.aws.amazon.com/s3/buckets/dwh-data?region=us-east-1&prefix=nautilus/year%3D2024/',
    );
    assert.equal(s3ConsoleUrl('s3://dwh-data', 'us-east-1'), 'https://us-east-1.console.aws.amazon.com/s3/buckets/dwh-data?region=us-east-1');
  });

  it('uses the global console without a region', () => {
    assert.equal(s3ConsoleUrl('s3://dwh-data', undefined), 'https://s3.console.aws.amazon.com/s3/buckets/dwh-data');
    assert.equal(s3ConsoleUrl('s3://dwh-data/k.csv', undefined), 'https://s3.console.aws.amazon.com/s3/object/dwh-data?prefix=k.csv');
  });

  it('encodes &, #, +, spaces, % and unicode in the key so the console reads the key back unchanged', () => {
    const keys = [
      'reports/a&b=c.csv',
      'reports/#1.csv',
      'reports/a+b.csv',
      'reports/with space/file name.csv',
      'reports/100%/x%20y.csv',
      'reports/ünïcödé/日本語/🚀.parquet',
      'reports/?query/',
      'reports/line\nbreak.txt',
    ];
    for (const key of keys) {
      const url = s3ConsoleUrl(`s3://dwh-data/${key}`, 'eu-central-1');
      assert.ok(url, key);
      assert.equal(prefixOf(url), key, url);
      // Nothing in the key ends the query early or adds a parameter.
      assert.deepEqual([...new URL(url).searchParams.keys()], ['region', 'prefix'], url);
      assert.doesNotMatch(url, /[ #+]/, url);
    }
  });

  it('writes a space as %20 and a plus as %2B, never a bare "+"', () => {
    assert.equal(encodeS3Key('a b+c'), 'a%20b%2Bc');
    assert.equal(encodeS3Key('x&y#z/ü'), 'x%26y%23z/%C3%BC');
  });

  it('uses the partition’s console in China and GovCloud', () => {
    assert.equal(s3ConsoleUrl('s3://dwh-data/k', 'cn-north-1'), 'https://console.amazonaws.cn/s3/object/dwh-data?region=cn-north-1&prefix=k');
    assert.equal(s3ConsoleUrl('s3://dwh-data/k', 'us-gov-west-1'), 'https://console.amazonaws-us-gov.com/s3/object/dwh-data?region=us-gov-west-1&prefix=k');
  });

  it('never puts a region that is not a region name into the host', () => {
    assert.equal(s3ConsoleUrl('s3://dwh-data/k', 'evil.example/x#'), 'https://s3.console.aws.amazon.com/s3/object/dwh-data?prefix=k');
    assert.equal(s3ConsoleUrl('s3://dwh-data/k', ''), 'https://s3.console.aws.amazon.com/s3/object/dwh-data?prefix=k');
  });

  it('refuses what is not an S3 URI, or a key that cannot be encoded', () => {
    assert.equal(s3ConsoleUrl('javascript:alert(1)', 'us-east-1'), null);
    assert.equal(s3ConsoleUrl('https://evil.example/', 'us-east-1'), null);
    assert.equal(s3ConsoleUrl('s3://dwh-data/\ud800', 'us-east-1'), null);
  });
});
