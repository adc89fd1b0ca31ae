// Links from an artifact's S3 URI to its page in the AWS console. S3 keys may hold any
// character ("a b/c#d&e+f/ü.parquet"), so the key is percent-encoded as a whole: a space as
// %20 rather than "+", which the console would read as a plus sign in a key; "&", "#" and "+"
// escaped so the query string cannot end early or change meaning. Slashes stay as they are, as
// in the console's own links.

/** Bucket and key of "s3://bucket/key" (also s3a:// and s3n://); null for anything else. */
export function parseS3Uri(path: string): { bucket: string; key: string } | null {
  const m = /^s3[an]?:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/is.exec(path.trim());
  if (!m?.[1]) return null;
  return { bucket: m[1], key: m[2] ?? '' };
}

/** A region name as AWS spells them ("eu-west-1", "us-gov-west-1"); nothing else reaches a host name. */
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/**
 * The S3 console page of an S3 URI: the object page for a key
 * (https://<region>.console.aws.amazon.com/s3/object/<bucket>?region=<region>&prefix=<key>),
 * the bucket listing at a prefix for a key ending in "/" or none
 * (…/s3/buckets/<bucket>?region=<region>&prefix=<prefix>/). Without a known region, the
 * global console host and no region parameter: the console then asks. null when `path` is not
 * an S3 URI, or its key cannot be encoded (a lone UTF-16 surrogate).
 */
export function s3ConsoleUrl(path: string, region: string | undefined): string | null {
  const parsed = parseS3Uri(path);
  if (!parsed) return null;
  const knownRegion = region !== undefined && REGION.test(region) ? region : undefined;
  let prefix: string;
  try {
    prefix = encodeS3Key(parsed.key);
  } catch {
    return null;
  }
  const query = [knownRegion ? `region=${knownRegion}` : null, parsed.key === '' ? null : `prefix=${prefix}`].filter((p): p is string => p !== null).join('&');
  const page = parsed.key === '' || parsed.key.endsWith('/') ? 'buckets' : 'object';
  return `${consoleOrigin(knownRegion)}/s3/${page}/${encodeURIComponent(parsed.bucket)}${query ? `?${query}` : ''}`;
}

/** The key for a query parameter: every reserved character escaped except "/". */
export function encodeS3Key(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/');
}

function consoleOrigin(region: string | undefined): string {
  if (region === undefined) return 'https://s3.console.aws.amazon.com';
  // The China and GovCloud partitions have consoles of their own; the region parameter picks the region.
  if (region.startsWith('cn-')) return 'https://console.amazonaws.cn';
  if (region.startsWith('us-gov-')) return 'https://console.amazonaws-us-gov.com';
  return `https://${region}.console.aws.amazon.com`;
}
