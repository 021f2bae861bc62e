import type { ServiceDescription } from '@sandbox/shared';
import { PreviewGateway } from './modules/previews/preview-gateway';
import { TerminalGateway } from './modules/terminal/terminal.gateway';

export const CONTAINER_MANAGER_SERVICE: ServiceDescription = {
  name: 'container-manager',
  title: 'container-manager',
  description: 'One hardened Docker sandbox per session: exec, files, git checkpoints and the preview proxy. /api/internal routes need X-Internal-Service-Key.',
  // Preview traffic (host form, /previews, /internal-previews) is served ahead of Express and its body parser;
  // the terminal WebSocket route is put in front of the preview proxy's upgrade handler.
  configure: (app) => {
    app.get(PreviewGateway).attach(app.getHttpServer());
    app.get(TerminalGateway).attach(app.getHttpServer());
  },
};
