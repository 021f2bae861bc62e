import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';

/**
 * In-process signals between the manager's modules, so features react to each other without
 * importing each other's services: previews drop their ports when a session stops, the git module
 * creates a repository with a session and auto-commits after the workspace changes.
 */
export type SessionLifecycleEvent =
  | { type: 'created'; sessionId: string }
  | { type: 'started'; sessionId: string }
  | { type: 'paused'; sessionId: string }
  | { type: 'stopped'; sessionId: string }
  | { type: 'deleted'; sessionId: string }
  | { type: 'error'; sessionId: string; reason: string };

/**
 * Emitted after a file write/move/delete/mkdir or an exec that may have changed the workspace, and
 * when the sandbox's agent sees files change (`watch`: any process, a background dev server included).
 */
export interface WorkspaceChangedEvent {
  sessionId: string;
  cause: 'file' | 'exec' | 'restore' | 'watch';
}

@Injectable()
export class SessionEvents implements OnModuleDestroy {
  private readonly lifecycleSubject = new Subject<SessionLifecycleEvent>();
  private readonly workspaceSubject = new Subject<WorkspaceChangedEvent>();

  readonly lifecycle$: Observable<SessionLifecycleEvent> = this.lifecycleSubject.asObservable();
  readonly workspaceChanged$: Observable<WorkspaceChangedEvent> = this.workspaceSubject.asObservable();

  emitLifecycle(event: SessionLifecycleEvent): void {
    this.lifecycleSubject.next(event);
  }

  emitWorkspaceChanged(event: WorkspaceChangedEvent): void {
    this.workspaceSubject.next(event);
  }

  onModuleDestroy(): void {
    this.lifecycleSubject.complete();
    this.workspaceSubject.complete();
  }
}
