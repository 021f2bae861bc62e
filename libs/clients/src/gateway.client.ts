import { CheckpointNotification, GatewayRoutes, HealthResponse, SessionErrorRequest, SessionTransitionResponse } from '@sandbox/contracts';
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

  sessionFailed(sessionId: string, body: SessionErrorRequest): Promise<SessionTransitionResponse> {
    return this.post(GatewayRoutes.sessionError(sessionId), body);
  }

  recordCheckpoint(body: CheckpointNotification): Promise<unknown> {
    return this.post(GatewayRoutes.checkpoints, body);
  }
}
