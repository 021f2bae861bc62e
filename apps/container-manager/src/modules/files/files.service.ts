import { Injectable } from '@nestjs/common';
import { posix } from 'node:path';
import { ErrorCode, FileEntry, FileList, FileType, FileWriteResult } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';
import { ManagerConfig } from '../../config/manager-config';
import { DockerRepository } from '../../repositories/docker.repository';
import { SANDBOX_UID } from '../sessions/container-spec';
import { SessionEvents } from '../sessions/session-events';
import { SessionsService } from '../sessions/sessions.service';
import { SessionErrors } from '../sessions/sessions.exception';
import { FILES_SCRIPT, LIST_SCRIPT } from './files-scripts';
import { workspacePath } from './workspace-path';

interface ScriptResult {
  exitCode: number | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Workspace files, read and written from inside the sandbox (see files-scripts.ts for why). Paths
 * are checked lexically here first; results are reported relative to the workspace.
 */
@Injectable()
export class FilesService {
  constructor(
    private readonly sessions: SessionsService,
    private readonly docker: DockerRepository,
    private readonly events: SessionEvents,
    private readonly config: ManagerConfig,
  ) {}

  async read(sessionId: string, rawPath: string): Promise<Buffer> {
    const path = workspacePath(rawPath);
    const result = await this.run(sessionId, ['read', path, String(this.config.fileMaxBytes)], path);
    return result.stdout;
  }

  async write(sessionId: string, rawPath: string, content: Buffer): Promise<FileWriteResult> {
    const path = workspacePath(rawPath);
    if (path === '.') throw DomainException.badRequest('path must name a file');
    if (content.length > this.config.fileMaxBytes) throw this.tooLarge();
    const result = await this.run(sessionId, ['write', path], path, content);
    this.changed(sessionId);
    return { path, size: Number(result.stdout.toString().trim()) };
  }

  async list(sessionId: string, rawPath = '.'): Promise<FileList> {
    const path = workspacePath(rawPath);
    const session = this.sessions.requireRunning(sessionId);
    const result = await this.exec(session.containerId, ['node', '-e', LIST_SCRIPT, path]);
    this.check(result, path);
    const rows = JSON.parse(result.stdout.toString('utf8')) as [string, FileType, number, number][];
    this.sessions.touch(sessionId);
    const entries = rows
      .map(([name, type, size, mtimeMs]) => ({ name, path: path === '.' ? name : `${path}/${name}`, type, size, mtime: new Date(mtimeMs).toISOString() }))
      .sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'dir' ? -1 : b.type === 'dir' ? 1 : 0));
    return { path, entries };
  }

  async stat(sessionId: string, rawPath: string): Promise<FileEntry> {
    const path = workspacePath(rawPath);
    const result = await this.run(sessionId, ['stat', path], path);
    return parseEntry(path, result.stdout);
  }

  async mkdir(sessionId: string, rawPath: string): Promise<FileEntry> {
    const path = workspacePath(rawPath);
    const result = await this.run(sessionId, ['mkdir', path], path);
    this.changed(sessionId);
    return parseEntry(path, result.stdout);
  }

  async move(sessionId: string, rawFrom: string, rawTo: string): Promise<FileEntry> {
    const from = workspacePath(rawFrom, 'from');
    const to = workspacePath(rawTo, 'to');
    if (from === '.' || to === '.') throw DomainException.badRequest('the workspace itself cannot be moved or replaced');
    const result = await this.run(sessionId, ['move', from, to], `${from} -> ${to}`);
    this.changed(sessionId);
    return parseEntry(to, result.stdout);
  }

  async delete(sessionId: string, rawPath: string): Promise<void> {
    const path = workspacePath(rawPath);
    if (path === '.') throw DomainException.badRequest('the workspace itself cannot be deleted');
    await this.run(sessionId, ['delete', path], path);
    this.changed(sessionId);
  }

  get maxBytes(): number {
    return this.config.fileMaxBytes;
  }

  tooLarge(): DomainException {
    return new DomainException(ErrorCode.PayloadTooLarge, `File is larger than the limit of ${this.config.fileMaxBytes} bytes`);
  }

  private async run(sessionId: string, args: string[], label: string, stdin?: Buffer): Promise<ScriptResult> {
    const session = this.sessions.requireRunning(sessionId);
    const result = await this.exec(session.containerId, ['sh', '-c', FILES_SCRIPT, 'sandbox-files', ...args], stdin);
    this.check(result, label);
    this.sessions.touch(sessionId);
    return result;
  }

  private async exec(containerId: string, cmd: string[], stdin?: Buffer): Promise<ScriptResult> {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    const { exitCode } = await this.docker.exec(containerId, {
      cmd,
      user: `${SANDBOX_UID}:${SANDBOX_UID}`,
      stdin,
      onStdout: (chunk) => {
        size += chunk.length;
        if (size <= this.config.fileMaxBytes + 1) stdout.push(chunk);
      },
      onStderr: (chunk) => {
        if (stderr.length < 16) stderr.push(chunk);
      },
    });
    if (size > this.config.fileMaxBytes) throw this.tooLarge();
    return { exitCode, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8').slice(0, 500) };
  }

  private check(result: ScriptResult, path: string): void {
    switch (result.exitCode) {
      case 0:
        return;
      case 64:
        throw DomainException.notFound(`No such file or directory: ${path}`);
      case 65:
        throw DomainException.badRequest(`Path leaves the workspace: ${path}`);
      case 66:
        throw DomainException.badRequest(`Is a directory: ${path}`);
      case 67:
        throw DomainException.badRequest(`Not a directory: ${path}`);
      case 68:
        throw DomainException.conflict(`Already exists: ${path}`);
      case 69:
        throw DomainException.badRequest(`${result.stderr.trim() || 'file operation failed'}: ${path}`);
      case 70:
        throw this.tooLarge();
      case 71:
        throw DomainException.conflict(`The path changed in the sandbox during the operation: ${path}`);
      case 72:
        throw SessionErrors.diskFull(this.config.workspaceQuotaMb, path);
      default:
        throw new DomainException(ErrorCode.Internal, `File operation failed in the sandbox (exit ${result.exitCode})`, undefined, { cause: new Error(result.stderr) });
    }
  }

  private changed(sessionId: string): void {
    this.events.emitWorkspaceChanged({ sessionId, cause: 'file' });
  }
}

/** Parses `stat -c '%F|%s|%y'` (e.g. `regular file|12|2026-11-22 00:15:03.123456789 +0000`). */
export function parseEntry(path: string, raw: Buffer | string): FileEntry {
  const [kind, size, stamp] = raw.toString('utf8').trim().split('|');
  const type: FileType = kind === 'directory' ? 'dir' : kind === 'symbolic link' ? 'symlink' : 'file';
  const match = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d+))? ([+-]\d\d)(\d\d)$/.exec(stamp ?? '');
  const mtime = match ? new Date(`${match[1]}T${match[2]}.${(match[3] ?? '0').padEnd(3, '0').slice(0, 3)}${match[4]}:${match[5]}`) : new Date(NaN);
  return { name: posix.basename(path), path, type, size: Number(size), mtime: Number.isNaN(mtime.getTime()) ? new Date(0).toISOString() : mtime.toISOString() };
}
