// A minimal ZIP writer over Node's zlib (deflate + crc32), enough for a Lambda deployment
// package: regular files, deflated, no directories, no zip64 (each file and the archive
// under 4 GiB). Entries carry a fixed timestamp, so the same input gives the same bytes and
// `aws cloudformation package` (which keys the upload by its MD5) uploads only a change.
import zlib from 'node:zlib';

/** 1980-01-01 00:00, the earliest DOS date: a fixed time, so archives are reproducible. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const VERSION_NEEDED = 20; // 2.0: deflate
const VERSION_MADE_BY = (3 << 8) | 20; // Unix, so the external attributes carry the mode
const FLAG_UTF8_NAMES = 0x0800;
const METHOD_DEFLATE = 8;
const MAX_32 = 0xffffffff;

/**
 * The bytes of a ZIP archive holding these files.
 * @param {Array<{ name: string, data: Buffer | Uint8Array, mode?: number }>} files
 * @returns {Buffer}
 */
export function zipFiles(files) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  const seen = new Set();
  for (const file of files) {
    if (!file.name || file.name.startsWith('/') || file.name.split('/').includes('..')) {
      throw new Error(`zip entry name must be relative, without "..": ${JSON.stringify(file.name)}`);
    }
    if (seen.has(file.name)) throw new Error(`zip entry ${file.name} given twice`);
    seen.add(file.name);
    const data = Buffer.from(file.data);
    const compressed = zlib.deflateRawSync(data, { level: 9 });
    if (data.length >= MAX_32 || compressed.length >= MAX_32) throw new Error(`zip entry ${file.name} is too large for a zip without zip64`);
    const name = Buffer.from(file.name, 'utf8');
    const crc = zlib.crc32(data);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(VERSION_NEEDED, 4);
    local.writeUInt16LE(FLAG_UTF8_NAMES, 6);
    local.writeUInt16LE(METHOD_DEFLATE, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(VERSION_MADE_BY, 4);
    central.writeUInt16LE(VERSION_NEEDED, 6);
    central.writeUInt16LE(FLAG_UTF8_NAMES, 8);
    central.writeUInt16LE(METHOD_DEFLATE, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    // extra length, comment length, disk number, internal attributes: 0
    central.writeUInt32LE(((0o100000 | (file.mode ?? 0o644)) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);

    locals.push(local, name, compressed);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
    if (offset >= MAX_32) throw new Error('zip archive is too large for a zip without zip64');
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}
