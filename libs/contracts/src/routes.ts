/** Route builders shared by controllers' callers (the typed clients). */
const enc = encodeURIComponent;

export const GatewayRoutes = {
  sessionStart: (id: string) => `/api/internal/sessions/${enc(id)}/start`,
  sessionStop: (id: string) => `/api/internal/sessions/${enc(id)}/stop`,
  sessionPause: (id: string) => `/api/internal/sessions/${enc(id)}/pause`,
  sessionError: (id: string) => `/api/internal/sessions/${enc(id)}/error`,
  checkpoints: '/api/internal/git-checkpoints',
  runClaim: (id: string) => `/api/internal/runs/${enc(id)}/claim`,
  runEvents: (id: string) => `/api/internal/runs/${enc(id)}/events`,
  runState: (id: string) => `/api/internal/runs/${enc(id)}/state`,
  runFinish: (id: string) => `/api/internal/runs/${enc(id)}/finish`,
  health: '/health',
} as const;

export const ManagerRoutes = {
  sessions: '/api/internal/sessions',
  session: (id: string) => `/api/internal/sessions/${enc(id)}`,
  stop: (id: string) => `/api/internal/sessions/${enc(id)}/stop`,
  start: (id: string) => `/api/internal/sessions/${enc(id)}/start`,
  pause: (id: string) => `/api/internal/sessions/${enc(id)}/pause`,
  resume: (id: string) => `/api/internal/sessions/${enc(id)}/resume`,
  usage: (id: string) => `/api/internal/sessions/${enc(id)}/usage`,
  exec: (id: string) => `/api/internal/sessions/${enc(id)}/exec`,
  execStream: (id: string) => `/api/internal/sessions/${enc(id)}/exec/stream`,
  files: (id: string) => `/api/internal/sessions/${enc(id)}/files`,
  fileContent: (id: string) => `/api/internal/sessions/${enc(id)}/files/content`,
  fileStat: (id: string) => `/api/internal/sessions/${enc(id)}/files/stat`,
  mkdir: (id: string) => `/api/internal/sessions/${enc(id)}/files/mkdir`,
  move: (id: string) => `/api/internal/sessions/${enc(id)}/files/move`,
  fileWatch: (id: string) => `/api/internal/sessions/${enc(id)}/files/watch`,
  commands: (id: string) => `/api/internal/sessions/${enc(id)}/commands`,
  command: (id: string, commandId: string) => `/api/internal/sessions/${enc(id)}/commands/${enc(commandId)}`,
  commandOutput: (id: string, commandId: string) => `/api/internal/sessions/${enc(id)}/commands/${enc(commandId)}/output`,
  commandInput: (id: string, commandId: string) => `/api/internal/sessions/${enc(id)}/commands/${enc(commandId)}/input`,
  commandSignal: (id: string, commandId: string) => `/api/internal/sessions/${enc(id)}/commands/${enc(commandId)}/signal`,
  /** WebSocket: the session's PTY (docs/api.md, "Terminal"). */
  terminal: (id: string) => `/api/internal/sessions/${enc(id)}/terminal`,
  commit: (id: string) => `/api/internal/sessions/${enc(id)}/git/commit`,
  checkpoints: (id: string) => `/api/internal/sessions/${enc(id)}/git/checkpoints`,
  gitStatus: (id: string) => `/api/internal/sessions/${enc(id)}/git/status`,
  diff: (id: string) => `/api/internal/sessions/${enc(id)}/git/diff`,
  restore: (id: string) => `/api/internal/sessions/${enc(id)}/git/restore`,
  previews: (id: string) => `/api/internal/sessions/${enc(id)}/previews`,
  preview: (id: string, port: number) => `/api/internal/sessions/${enc(id)}/previews/${port}`,
  previewToken: (id: string, port: number) => `/api/internal/sessions/${enc(id)}/previews/${port}/token`,
  previewPrivate: (id: string, port: number) => `/api/internal/sessions/${enc(id)}/previews/${port}/private`,
  templates: '/api/internal/templates',
  template: (name: string) => `/api/internal/templates/${enc(name)}`,
  health: '/health',
} as const;

export const WorkerRoutes = {
  tasks: '/api/tasks',
  task: (id: string) => `/api/tasks/${enc(id)}`,
  cancelTask: (id: string) => `/api/tasks/${enc(id)}/cancel`,
  taskEvents: (id: string) => `/api/tasks/${enc(id)}/events`,
  jobs: '/api/jobs',
  job: (id: string) => `/api/jobs/${enc(id)}`,
  pauseJob: (id: string) => `/api/jobs/${enc(id)}/pause`,
  resumeJob: (id: string) => `/api/jobs/${enc(id)}/resume`,
  health: '/health',
} as const;
