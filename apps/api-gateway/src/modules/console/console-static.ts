import type { NestExpressApplication } from '@nestjs/platform-express';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { NextFunction, Request, Response } from 'express';

/** Where the web console is served (docs/developer-surface.md, Web console). */
export const CONSOLE_PATH = '/console';

/** A Host header safe to write into the policy (the console's graphql-ws URL is built from it). */
const SAFE_HOST = /^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:]+\](:\d{1,5})?$/i;

/**
 * What the console page may do: its own scripts and styles only, API calls and graphql-ws to this
 * gateway only, previews (other origins, *.preview.<domain>) in frames, and nobody may frame it.
 */
function contentSecurityPolicy(req: Request): string {
  const host = req.headers.host && SAFE_HOST.test(req.headers.host) ? req.headers.host : null;
  const sockets = host ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${sockets}`,
    'frame-src http: https:',
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

/**
 * The web console (apps/console, built by Vite into `directory`): hashed files under /console/assets
 * are cached for long, every other GET under /console answers the app's index.html (no-store). The
 * page holds no secret: it asks for an API key and calls GraphQL like any other client.
 */
export function mountConsole(app: NestExpressApplication, directory: string): void {
  const root = resolve(directory);
  app.use(CONSOLE_PATH, (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next();
      return;
    }
    if (!existsSync(join(root, 'index.html'))) {
      res.status(404).json({ statusCode: 404, message: 'The console is not built: run npm run build' });
      return;
    }
    res.setHeader('x-content-type-options', 'nosniff');
    if (req.path.startsWith('/assets/')) {
      res.sendFile(req.path, { root, dotfiles: 'deny', maxAge: '365d', immutable: true }, (error?: Error) => {
        if (error && !res.headersSent) res.status(404).json({ statusCode: 404, message: 'Not found' });
      });
      return;
    }
    res.setHeader('content-security-policy', contentSecurityPolicy(req));
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('cache-control', 'no-store');
    res.sendFile('index.html', { root });
  });
}
