import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '@sandbox/testing';

interface ComposeService {
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }>;
  ports?: Array<string | { host_ip?: string; published?: string | number }>;
  environment?: Record<string, string>;
}

/** `docker compose config` (v2 plugin) or `docker-compose config` (v1), whichever the machine has. */
function composeCommand(): string[] {
  if (spawnSync('docker', ['compose', 'version']).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version']).status === 0) return ['docker-compose'];
  throw new Error('no compose tool: `npm test` installs Debian docker-compose; install it or the docker compose plugin');
}

describe('docker-compose.dev.yml', () => {
  const file = join(REPO_ROOT, 'docker-compose.dev.yml');
  const [command, ...prefix] = composeCommand();
  const config = (env: Record<string, string>) =>
    spawnSync(command, [...prefix, '-f', file, 'config'], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });

  it('should pass the compose tool config check', () => {
    const result = config({ INTERNAL_SERVICE_KEY: 'compose-check-key-0123456789' });
    expect(result.stderr).not.toMatch(/invalid|error/i);
    expect(result.status).toBe(0);
  });

  it('should refuse to render without an internal service key', () => {
    const result = config({});
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('INTERNAL_SERVICE_KEY');
  });

  describe('rendered services', () => {
    let services: Record<string, ComposeService>;

    beforeAll(() => {
      const rendered = execFileSync(command, [...prefix, '-f', file, 'config'], {
        env: { PATH: process.env.PATH ?? '', INTERNAL_SERVICE_KEY: 'compose-check-key-0123456789' },
        encoding: 'utf8',
      });
      services = (parse(rendered) as { services: Record<string, ComposeService> }).services;
    });

    it('should run postgres, redis and the three apps, each with a health check', () => {
      expect(Object.keys(services).sort()).toEqual(['api-gateway', 'container-manager', 'postgres', 'redis', 'worker-service']);
      for (const [name, service] of Object.entries(services)) expect({ name, healthcheck: Boolean(service.healthcheck?.test) }).toEqual({ name, healthcheck: true });
    });

    it('should start each app only after what it depends on is healthy', () => {
      const conditions = (name: string) =>
        Object.fromEntries(Object.entries(services[name].depends_on ?? {}).map(([dependency, spec]) => [dependency, spec.condition]));
      expect(conditions('api-gateway')).toEqual({ postgres: 'service_healthy', 'container-manager': 'service_healthy', 'worker-service': 'service_healthy' });
      expect(conditions('worker-service')).toEqual({ redis: 'service_healthy', 'container-manager': 'service_healthy' });
    });

    it('should build every app from the one Dockerfile, picked by the APP build argument', () => {
      const apps = ['api-gateway', 'container-manager', 'worker-service'];
      const builds = apps.map((app) => {
        const { build, environment } = services[app];
        return { app, dockerfile: join(build?.context ?? '', build?.dockerfile ?? 'Dockerfile'), args: build?.args, port: environment?.PORT };
      });
      expect(builds).toEqual(apps.map((app) => ({ app, dockerfile: join(REPO_ROOT, 'Dockerfile'), args: { APP: app, PORT: builds.find((b) => b.app === app)?.port }, port: expect.any(String) })));
      const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
      expect(dockerfile).toMatch(/^ARG APP$/m);
      expect(dockerfile).toContain('dist/apps/$APP/src/main.js');
    });

    it('should publish ports on loopback only', () => {
      for (const service of Object.values(services)) {
        for (const port of service.ports ?? []) {
          const hostIp = typeof port === 'string' ? port.split(':')[0] : port.host_ip;
          expect(hostIp).toBe('127.0.0.1');
        }
      }
    });

    it('should point the apps at each other by service name', () => {
      expect(services['api-gateway'].environment).toMatchObject({ CONTAINER_MANAGER_URL: 'http://container-manager:4002', WORKER_SERVICE_URL: 'http://worker-service:4001' });
      expect(services['worker-service'].environment).toMatchObject({ REDIS_URL: 'redis://redis:6379' });
    });
  });
});
