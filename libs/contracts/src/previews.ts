export interface RegisterPreviewRequest {
  port: number;
}

export interface Preview {
  sessionId: string;
  port: number;
  registered: true;
  url: string;
  /** A private port answers only requests with its current token (setPreviewPrivate). */
  private: boolean;
}

/** A new token of a private port; shown once. */
export interface PreviewToken {
  sessionId: string;
  port: number;
  token: string;
}

export interface PreviewList {
  sessionId: string;
  previews: Preview[];
}

export const PREVIEW_PORT_MIN = 1024;
export const PREVIEW_PORT_MAX = 65535;

export const PreviewErrors = {
  invalidPort: 'Port must be an integer between 1024 and 65535',
  missingPort: "Request body field 'port' is required",
  noPort: (id: string) => `No preview port registered for session ${id}`,
  containerNotFound: (id: string, cause: string) => `Failed to validate container for session ${id}: ${cause}`,
  containerNotRunning: (id: string) => `Container for session ${id} is not running`,
  noContainerIp: (id: string) => `Container for session ${id} has no IP address`,
  upstreamFailed: 'Failed to connect to preview server',
} as const;
