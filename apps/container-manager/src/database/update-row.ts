import type { Database } from 'better-sqlite3';

/**
 * `UPDATE table SET … WHERE keyColumn = key` of the fields a patch sets (undefined ones are left
 * alone), each written to its column in `columns`, and `updated_at` set to now.
 */
export function updateRow<P extends object>(db: Database, table: string, where: { column: string; key: string }, patch: P, columns: Record<keyof P & string, string>): void {
  const sets: string[] = ['updated_at = @updatedAt'];
  const params: Record<string, unknown> = { key: where.key, updatedAt: new Date().toISOString() };
  for (const [field, column] of Object.entries(columns) as [keyof P & string, string][]) {
    if (patch[field] === undefined) continue;
    sets.push(`${column} = @${field}`);
    params[field] = patch[field];
  }
  db.prepare(`UPDATE ${table} SET ${sets.join(', ')} WHERE ${where.column} = @key`).run(params);
}
