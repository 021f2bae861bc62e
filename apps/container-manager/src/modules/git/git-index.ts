/**
 * Reads git's index file (`$GIT_DIR/index`, the staging area) in-process, so the checks after each
 * staging (nested repositories, files above the size limit) cost a file read instead of one more git process.
 *
 * Format (gitformat-index): `DIRC`, version, entry count, then the entries sorted by path, then
 * extensions, then a checksum. Each entry: 40 bytes of stat data whose 7th field (offset 24) is
 * the mode and 10th (offset 36) the size git read the file at, modulo 2^32; a 20-byte object id (SHA-1 repositories only: ours never enable SHA-256), 16-bit flags
 * (name length in the low 12 bits, "extended" in bit 14: two more flag bytes, version 3+), then the
 * path: versions 2 and 3 NUL-padded to a multiple of 8; version 4 as a prefix-compressed varint + suffix.
 * Paths are raw bytes (a file name need not be UTF-8), and stay bytes here.
 */

const SIGNATURE = 'DIRC';
const HEADER_BYTES = 12;
const CHECKSUM_BYTES = 20;
const MODE_OFFSET = 24;
const SIZE_OFFSET = 36;
const FLAGS_OFFSET = 60;
const ENTRY_FIXED_BYTES = 62;
const NAME_MASK = 0xfff;
const EXTENDED_FLAG = 0x4000;
const GITLINK_MODE = 0o160000;
const TYPE_MASK = 0o170000;
const REGULAR_FILE = 0o100000;
/** Extensions that mean the entries above are not the whole index (split index) or not all files (sparse index). */
const INCOMPLETE_EXTENSIONS = new Set(['link', 'sdir']);

export class UnreadableIndexError extends Error {
  constructor(reason: string) {
    super(`git index not readable: ${reason}`);
    this.name = UnreadableIndexError.name;
  }
}

/** Entries a checkpoint must not hold. Paths are raw bytes. */
export interface IndexFindings {
  /** Nested repositories (mode 160000). */
  gitlinks: Buffer[];
  /** Regular files whose recorded size is above the limit. */
  largeFiles: { name: Buffer; size: number }[];
}

/** The gitlinks of the index, and its regular files above `maxFileBytes` (0: no limit). */
export function inspectIndex(index: Buffer, maxFileBytes: number): IndexFindings {
  if (index.length < HEADER_BYTES + CHECKSUM_BYTES || index.toString('latin1', 0, 4) !== SIGNATURE) throw new UnreadableIndexError('no DIRC header');
  const version = index.readUInt32BE(4);
  if (version < 2 || version > 4) throw new UnreadableIndexError(`version ${version}`);
  const count = index.readUInt32BE(8);
  const end = index.length - CHECKSUM_BYTES;
  const gitlinks: Buffer[] = [];
  const largeFiles: { name: Buffer; size: number }[] = [];
  let offset = HEADER_BYTES;
  let previous: Buffer = Buffer.alloc(0);
  for (let i = 0; i < count; i++) {
    if (offset + ENTRY_FIXED_BYTES > end) throw new UnreadableIndexError('truncated entry');
    const mode = index.readUInt32BE(offset + MODE_OFFSET);
    const size = index.readUInt32BE(offset + SIZE_OFFSET);
    const flags = index.readUInt16BE(offset + FLAGS_OFFSET);
    const extended = (flags & EXTENDED_FLAG) !== 0;
    if (extended && version < 3) throw new UnreadableIndexError('extended flags in a version 2 index');
    const nameStart = offset + ENTRY_FIXED_BYTES + (extended ? 2 : 0);
    let name: Buffer;
    if (version === 4) {
      const { value: strip, next } = readVarint(index, nameStart, end);
      if (strip > previous.length) throw new UnreadableIndexError('bad path prefix');
      const nul = index.indexOf(0, next);
      if (nul < 0 || nul >= end) throw new UnreadableIndexError('unterminated path');
      name = Buffer.concat([previous.subarray(0, previous.length - strip), index.subarray(next, nul)]);
      offset = nul + 1;
    } else {
      const declared = flags & NAME_MASK;
      // A length of 0xfff means "this long or longer": the path then ends at its NUL.
      const nameEnd = declared < NAME_MASK ? nameStart + declared : index.indexOf(0, nameStart + NAME_MASK);
      if (nameEnd < 0 || nameEnd >= end || index[nameEnd] !== 0) throw new UnreadableIndexError('bad path length');
      name = index.subarray(nameStart, nameEnd);
      offset += (nameStart - offset + (nameEnd - nameStart) + 8) & ~7;
    }
    if (mode === GITLINK_MODE) gitlinks.push(Buffer.from(name));
    else if (maxFileBytes > 0 && size > maxFileBytes && (mode & TYPE_MASK) === REGULAR_FILE) largeFiles.push({ name: Buffer.from(name), size });
    previous = name;
  }
  while (offset + 8 <= end) {
    const signature = index.toString('latin1', offset, offset + 4);
    if (INCOMPLETE_EXTENSIONS.has(signature)) throw new UnreadableIndexError(`extension ${signature}`);
    offset += 8 + index.readUInt32BE(offset + 4);
  }
  if (offset !== end) throw new UnreadableIndexError('trailing bytes');
  return { gitlinks, largeFiles };
}

/** Git's offset varint (varint.c): 7 bits a byte, most significant first, each continuation adds one. */
function readVarint(buffer: Buffer, start: number, end: number): { value: number; next: number } {
  let position = start;
  if (position >= end) throw new UnreadableIndexError('truncated varint');
  let byte = buffer[position++];
  let value = byte & 0x7f;
  while (byte & 0x80) {
    if (position >= end || value > 0xffffff) throw new UnreadableIndexError('bad varint');
    byte = buffer[position++];
    value = ((value + 1) << 7) | (byte & 0x7f);
  }
  return { value, next: position };
}
