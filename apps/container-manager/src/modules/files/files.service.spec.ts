import { parseEntry } from './files.service';

describe(parseEntry.name, () => {
  it('should turn busybox stat output into a file entry', () => {
    expect(parseEntry('src/a.txt', 'regular file|12|2026-11-22 00:15:03.123456789 +0000\n')).toEqual({
      name: 'a.txt',
      path: 'src/a.txt',
      type: 'file',
      size: 12,
      mtime: '2026-11-22T00:15:03.123Z',
    });
  });

  it('should recognise directories and symlinks and honour the offset', () => {
    expect(parseEntry('d', 'directory|4096|2026-11-22 02:00:00.5 +0200').type).toBe('dir');
    expect(parseEntry('d', 'directory|4096|2026-11-22 02:00:00.5 +0200').mtime).toBe('2026-11-22T00:00:00.500Z');
    expect(parseEntry('l', 'symbolic link|9|2026-11-22 00:00:00 +0000').type).toBe('symlink');
  });
});
