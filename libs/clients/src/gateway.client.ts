import {
  CheckpointNotification,
  GatewayRoutes,
  HealthResponse,
  RunClaim,
  RunClaimRequest,
  RunEventBatch,
  RunEventBatchResult,
  RunFinishRequest,
  RunFinishResult,
  RunStateUpdate,
  SessionErrorRequest,
  SessionTransitionResponse,
} from '@sandbox/contracts';
import { ServiceClientOptions, ServiceHttpClient } from './http-client';

/** The api-gateway's internal routes, as the container-manager and worker call them. */
export class GatewayClient extends ServiceHttpClient {
  constructor(options: ServiceClientOptions) {
    super('api-gateway', options);
  }

  health(): Promise<HealthResponse> {
    return this.get(GatewayRoutes.health);
  }

  sessionStarted(sessionId: string): Promise<SessionTransitionResponse> {
    return this.post(GatewayRoutes.sessionStart(sessionId));
  }

  sessionStopped(sessionId: string): Promise<SessionTransitionResponse> {
    return this.post(GatewayRoutes.sessionStop(sessionId));
  }

  sessionPaused(sessionId: string): Promise<SessionTransitionResponse> {
    return this.post(GatewayRoutes.sessionPause(sessionId));
  }

  sessionFailed(sessionId: string, body: SessionErrorRequest): Promise<SessionTransitionResponse> {
    return this.post(GatewayRoutes.sessionError(sessionId), body);
  }

  recordCheckpoint(body: CheckpointNotification): Promise<unknown> {
    return this.post(GatewayRoutes.checkpoints, body);
  }

  /** Takes a run for execution under the next attempt (404 unknown, 409 not QUEUED/RUNNING). */
  claimRun(runId: string, body: RunClaimRequest): Promise<RunClaim> {
    return this.post(GatewayRoutes.runClaim(runId), body);
  }

  /** Stores one batch of events (idempotent on attempt + n; 409 for a stale attempt or a run no longer RUNNING). */
  appendRunEvents(runId: string, body: RunEventBatch): Promise<RunEventBatchResult> {
    return this.post(GatewayRoutes.runEvents(runId), body);
  }

  saveRunState(runId: string, body: RunStateUpdate): Promise<{ saved: true }> {
    return this.post(GatewayRoutes.runState(runId), body);
  }

  finishRun(runId: string, body: RunFinishRequest): Promise<RunFinishResult> {
    return this.post(GatewayRoutes.runFinish(runId), body);
  }
}
