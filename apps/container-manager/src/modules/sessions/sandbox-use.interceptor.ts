import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { defer, from, Observable, switchMap, throwError } from 'rxjs';
import { catchError, finalize } from 'rxjs/operators';
import { DomainException } from '@sandbox/shared';
import { ContainerMonitor } from './container-monitor';
import { SessionActivity } from './session-activity';
import { SessionErrors } from './sessions.exception';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

/**
 * Routes that use a session's sandbox: `use` ones are activity and resume a paused session first;
 * `git` ones only keep the session from being paused while they run (a checkpoint is not activity).
 */
const SANDBOX_ROUTE = /^\/api\/internal\/sessions\/([0-9a-f-]{36})\/(exec|files|commands|terminal|git)(?:\/|$)/;

/**
 * Wraps every request that uses a sandbox (after authentication): a paused session resumes before
 * the handler runs, the request counts as activity and keeps the session busy until it ends, and a
 * failure caused by a container that died under it answers the 409 `Session {id} is not running`
 * (with the death recorded at once) instead of a 5xx. Docs: docs/lifecycle.md.
 */
@Injectable()
export class SandboxUseInterceptor implements NestInterceptor {
  constructor(
    private readonly sessions: SessionsService,
    private readonly records: SessionsRepository,
    private readonly activity: SessionActivity,
    private readonly monitor: ContainerMonitor,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const match = SANDBOX_ROUTE.exec(context.switchToHttp().getRequest<Request>().path);
    if (!match || !this.records.find(match[1])) return next.handle();
    const [, id, kind] = match;
    const use = kind !== 'git';
    if (use) this.activity.begin(id);
    else this.activity.hold(id);
    return defer(() => from(use ? this.sessions.resumeIfPaused(id) : Promise.resolve())).pipe(
      switchMap(() => next.handle()),
      catchError((error: unknown) => from(this.explain(id, error)).pipe(switchMap((explained) => throwError(() => explained)))),
      finalize(() => (use ? this.activity.end(id) : this.activity.release(id))),
    );
  }

  /** A server-side failure on a sandbox whose container no longer runs is that, not an internal error. */
  private async explain(id: string, error: unknown): Promise<unknown> {
    if (error instanceof DomainException && error.httpStatus < 500) return error;
    try {
      if (!(await this.monitor.check(id))) return error;
    } catch {
      return error;
    }
    const session = this.records.find(id);
    return SessionErrors.notRunning(id, session?.status ?? 'removed');
  }
}
