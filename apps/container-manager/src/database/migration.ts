/** One schema step of the manager's SQLite database; ids are applied once, in ascending order. */
export interface Migration {
  id: number;
  name: string;
  sql: string;
}

/** Modules contribute their migrations through this token (multi-provider style: an array each). */
export const MIGRATIONS = Symbol('MIGRATIONS');
