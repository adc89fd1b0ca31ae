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

/** Writes at `at` the 26 bytes a local header and its central-directory entry share ("version needed" to "file name length"). */
function writeEntryFields(header, at, entry) {
  header.writeUInt16LE(VERSION_NEEDED, at);
  header.writeUInt16LE(FLAG_UTF8_NAMES, at + 2);
  header.writeUInt16LE(METHOD_DEFLATE, at + 4);
  header.writeUInt16LE(DOS_TIME, at + 6);
  header.writeUInt16LE(DOS_DATE, at + 8);
  header.writeUInt32LE(entry.crc, at + 10);
  header.writeUInt32LE(entry.compressedSize, at + 14);
  header.writeUInt32LE(entry.size, at + 18);
  header.writeUInt16LE(entry.nameLength, at + 22);
}

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
    const entry = { crc: zlib.crc32(data), compressedSize: compressed.length, size: data.length, nameLength: name.length };

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    writeEntryFields(local, 4, entry);
    // extra length: 0

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(VERSION_MADE_BY, 4);
    writeEntryFields(central, 6, entry);
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
