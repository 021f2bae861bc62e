/**
 * The build context of a template: a tar archive holding only the Dockerfile, made in memory
 * (ustar: one 512-byte header, the content padded to 512 bytes, two empty blocks).
 */
export function dockerfileContext(dockerfile: string, mtime = new Date()): Buffer {
  const content = Buffer.from(dockerfile, 'utf8');
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string) => header.write(value, offset, length, 'ascii');
  const octal = (offset: number, length: number, value: number) => field(offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
  field(0, 100, 'Dockerfile');
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, content.length);
  octal(136, 12, Math.floor(mtime.getTime() / 1000));
  field(148, 8, ' '.repeat(8)); // the checksum counts its own field as spaces
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}
