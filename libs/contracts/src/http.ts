export const INTERNAL_KEY_HEADER = 'x-internal-service-key';
export const REQUEST_ID_HEADER = 'x-request-id';

export interface HealthResponse {
  status: 'ok' | 'error' | 'shutting_down' | 'degraded';
  timestamp: string;
  info?: Record<string, unknown>;
  error?: Record<string, unknown>;
  details?: Record<string, unknown>;
}

export const SERVICE_PORTS = {
  apiGateway: 4000,
  workerService: 4001,
  containerManager: 4002,
} as const;
