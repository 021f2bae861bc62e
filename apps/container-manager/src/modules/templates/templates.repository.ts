import { Injectable } from '@nestjs/common';
import type { Statement } from 'better-sqlite3';
import { Template, TemplateStatus } from '@sandbox/contracts';
import { DatabaseService } from '../../database/database.service';
import { updateRow } from '../../database/update-row';

/** A template row: the contract plus its Dockerfile. */
export interface TemplateRecord extends Template {
  dockerfile: string | null;
}

interface Row {
  name: string;
  status: TemplateStatus;
  image: string;
  built_in: number;
  owner_id: string | null;
  base_template: string | null;
  dockerfile: string | null;
  size_bytes: number | null;
  build_log: string;
  created_at: string;
  updated_at: string;
}

type NewTemplate = { name: string; status: TemplateStatus; image: string; ownerId: string | null; baseTemplate: string; dockerfile: string };
type BuiltInTemplate = { name: string; status: TemplateStatus; image: string; sizeBytes: number | null; buildLog: string };

export type TemplatePatch = Partial<Pick<TemplateRecord, 'status' | 'image' | 'sizeBytes' | 'buildLog'>>;

const PATCH_COLUMNS: Record<keyof TemplatePatch, string> = { status: 'status', image: 'image', sizeBytes: 'size_bytes', buildLog: 'build_log' };

/** The `templates` table of the manager's SQLite database. */
@Injectable()
export class TemplatesRepository {
  private readonly findStmt: Statement<[name: string], Row>;
  private readonly listStmt: Statement<[], Row>;
  private readonly insertStmt: Statement<[NewTemplate & { now: string }]>;
  private readonly upsertBuiltInStmt: Statement<[BuiltInTemplate & { now: string }]>;
  private readonly deleteStmt: Statement<[name: string]>;
  private readonly childStmt: Statement<[baseTemplate: string], string>;

  constructor(private readonly database: DatabaseService) {
    const db = database.db;
    this.findStmt = db.prepare('SELECT * FROM templates WHERE name = ?');
    this.listStmt = db.prepare('SELECT * FROM templates ORDER BY built_in DESC, name');
    this.insertStmt = db.prepare(
      `INSERT INTO templates (name, status, image, built_in, owner_id, base_template, dockerfile, size_bytes, build_log, created_at, updated_at)
       VALUES (@name, @status, @image, 0, @ownerId, @baseTemplate, @dockerfile, NULL, '', @now, @now)`,
    );
    this.upsertBuiltInStmt = db.prepare(
      `INSERT INTO templates (name, status, image, built_in, base_template, dockerfile, size_bytes, build_log, created_at, updated_at)
       VALUES (@name, @status, @image, 1, NULL, NULL, @sizeBytes, @buildLog, @now, @now)
       ON CONFLICT (name) DO UPDATE SET status = excluded.status, image = excluded.image, built_in = 1,
         size_bytes = excluded.size_bytes, build_log = excluded.build_log, updated_at = excluded.updated_at`,
    );
    this.deleteStmt = db.prepare('DELETE FROM templates WHERE name = ?');
    this.childStmt = db.prepare<[baseTemplate: string], string>('SELECT name FROM templates WHERE base_template = ? ORDER BY name LIMIT 1').pluck();
  }

  find(name: string): TemplateRecord | null {
    const row = this.findStmt.get(name);
    return row ? toRecord(row) : null;
  }

  list(): TemplateRecord[] {
    return this.listStmt.all().map(toRecord);
  }

  /** Fails (SQLite constraint) when the name is taken. */
  insert(template: NewTemplate): void {
    this.insertStmt.run({ ...template, now: new Date().toISOString() });
  }

  upsertBuiltIn(template: BuiltInTemplate): void {
    this.upsertBuiltInStmt.run({ ...template, now: new Date().toISOString() });
  }

  update(name: string, patch: TemplatePatch): void {
    updateRow(this.database.db, 'templates', { column: 'name', key: name }, patch, PATCH_COLUMNS);
  }

  delete(name: string): void {
    this.deleteStmt.run(name);
  }

  /** A template built FROM this one, if any. */
  firstChild(name: string): string | null {
    return this.childStmt.get(name) ?? null;
  }
}

function toRecord(row: Row): TemplateRecord {
  return {
    name: row.name,
    status: row.status,
    image: row.image,
    builtIn: row.built_in === 1,
    ownerId: row.owner_id,
    baseTemplate: row.base_template,
    dockerfile: row.dockerfile,
    sizeBytes: row.size_bytes,
    buildLog: row.build_log,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toTemplate(record: TemplateRecord): Template {
  const { dockerfile: _dockerfile, ...template } = record;
  return template;
}
