import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { CreateTemplateRequest, TemplateStatus } from '@sandbox/contracts';
import { KeyedMutex } from '../../common/keyed-mutex';
import { MANAGER_LABEL, TEST_LABEL } from '../../common/paths';
import { ManagerConfig } from '../../config/manager-config';
import { BuildMessage, DockerRepository } from '../../repositories/docker.repository';
import { SessionsRepository } from '../sessions/sessions.repository';
import { dockerfileContext } from './build-context';
import { DockerfileError, parseDockerfile } from './dockerfile';
import { TemplateExceptions } from './templates.exception';
import { TemplateRecord, TemplatesRepository } from './templates.repository';

export const TEMPLATE_LABEL = 'sandbox.template';

/**
 * Templates (docs/templates.md): the built-in `base` and `dev` images, registered at boot, and user
 * templates built from a Dockerfile whose FROM names a template. Builds run one at a time in the
 * background, on the sandbox network, with a time and a size limit; only a build that passed both
 * gets the template's tag, so a failed one leaves no image behind.
 */
@Injectable()
export class TemplatesService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TemplatesService.name);
  private readonly builds = new KeyedMutex();
  private readonly running = new Set<Promise<void>>();
  private readonly cancels = new Set<AbortController>();

  constructor(
    private readonly templates: TemplatesRepository,
    private readonly sessions: SessionsRepository,
    private readonly docker: DockerRepository,
    private readonly config: ManagerConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const template of this.templates.list()) {
      if (template.status !== TemplateStatus.Building) continue;
      this.templates.update(template.name, { status: TemplateStatus.Failed, buildLog: `${template.buildLog}\nBuild interrupted: the container-manager stopped during the build.\n` });
    }
    await this.registerBuiltIns().catch((error: unknown) => this.logger.warn({ err: error }, 'built-in templates not registered: Docker engine unavailable'));
  }

  /** Cancels running builds (they fail) and waits for their cleanup. */
  async onApplicationShutdown(): Promise<void> {
    for (const cancel of this.cancels) cancel.abort();
    await Promise.allSettled([...this.running]);
  }

  list(): TemplateRecord[] {
    return this.templates.list();
  }

  get(name: string): TemplateRecord {
    const template = this.templates.find(name);
    if (!template) throw TemplateExceptions.notFound(name);
    return template;
  }

  /**
   * The template a new session starts from, named or given by its image (the configured default when
   * neither is); it must be READY.
   */
  resolveForSession(name?: string, image?: string): TemplateRecord {
    if (name !== undefined && image !== undefined) throw TemplateExceptions.templateAndImage();
    if (image !== undefined) {
      const byImage = this.templates.list().find((record) => record.image === image);
      if (!byImage) throw TemplateExceptions.unknownImage(image);
      name = byImage.name;
    }
    name ??= this.config.defaultTemplate;
    const template = this.templates.find(name);
    if (!template) throw TemplateExceptions.unknown(name);
    if (template.status !== TemplateStatus.Ready) throw TemplateExceptions.notReady(name, template.status);
    return template;
  }

  /** Checks the Dockerfile, records the template as BUILDING and builds it in the background. */
  create(request: CreateTemplateRequest): TemplateRecord {
    let parsed;
    try {
      parsed = parseDockerfile(request.dockerfile);
    } catch (error) {
      if (!(error instanceof DockerfileError)) throw error;
      throw error.unknownBase ? TemplateExceptions.unknownBase(error.unknownBase) : TemplateExceptions.invalidDockerfile(error.message);
    }
    const bases = new Map<string, TemplateRecord>();
    for (const name of parsed.baseTemplates) {
      const base = this.templates.find(name);
      if (!base) throw TemplateExceptions.unknownBase(name);
      if (base.status !== TemplateStatus.Ready) throw TemplateExceptions.notReady(name, base.status);
      bases.set(name, base);
    }
    if (this.templates.find(request.name)) throw TemplateExceptions.exists(request.name);
    this.templates.insert({ name: request.name, status: TemplateStatus.Building, image: this.imageOf(request.name), ownerId: request.ownerId ?? null, baseTemplate: parsed.baseTemplates[0], dockerfile: request.dockerfile });
    const dockerfile = parsed.render((name) => bases.get(name)!.image);
    const build = this.builds
      .run('build', () => this.build(request.name, dockerfile))
      .catch((error: unknown) => this.logger.error({ err: error, template: request.name }, 'template build crashed'))
      .finally(() => this.running.delete(build));
    this.running.add(build);
    return this.get(request.name);
  }

  /** Refused for built-in templates, while building, while sessions use it and while another template builds on it. */
  async delete(name: string): Promise<void> {
    const template = this.get(name);
    if (template.builtIn) throw TemplateExceptions.builtIn(name);
    if (template.status === TemplateStatus.Building) throw TemplateExceptions.building(name);
    const users = this.sessions.countUsingTemplate(name);
    if (users > 0) throw TemplateExceptions.inUse(name, users);
    const child = this.templates.firstChild(name);
    if (child) throw TemplateExceptions.isBase(name, child);
    // The row goes first, in the same tick as the checks: a session create after this sees no template.
    this.templates.delete(name);
    await this.docker.removeImage(template.image);
  }

  /** Every user template's image lives in this manager's repository, tagged with the template name. */
  private imageOf(name: string, tag = name): string {
    return `sandbox-template-${this.config.managerId}:${tag}`;
  }

  private async registerBuiltIns(): Promise<void> {
    for (const [name, image] of [
      ['base', this.config.defaultImage],
      ['dev', this.config.devImage],
    ] as const) {
      const sizeBytes = await this.docker.imageSize(image);
      this.templates.upsertBuiltIn({
        name,
        image,
        status: sizeBytes === null ? TemplateStatus.Failed : TemplateStatus.Ready,
        sizeBytes,
        buildLog: sizeBytes === null ? `Image ${image} is not on this host; scripts/infra/up.sh (npm start) builds it.\n` : '',
      });
    }
  }

  /**
   * Removes the layers a failed build left: the ones it reported, newest first (never a tagged image,
   * such as the base its FROM step reports), and then the ones the daemon commits after a cancel (the
   * step it was running finishes after the connection closed): untagged images descending from a known
   * layer or carrying the template's label, swept until nothing new has turned up for a while.
   */
  private async removeLeftoverLayers(name: string, layers: string[]): Promise<void> {
    const known = new Set<string>();
    const shortId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);
    const remove = async (id: string) => {
      try {
        if (await this.docker.removeUntaggedImage(id)) known.add(shortId(id));
      } catch (error) {
        this.logger.warn({ template: name, image: id, err: error }, 'could not remove a layer of a failed build');
      }
    };
    for (const layer of [...layers].reverse()) await remove(layer);
    const isKnown = (id: string) => id !== '' && known.has(shortId(id));
    const deadline = Date.now() + LEFTOVER_SWEEP_MS;
    let quietSince = Date.now();
    while (Date.now() < deadline && Date.now() - quietSince < LEFTOVER_QUIET_MS) {
      const leftovers = (await this.docker.danglingImages()).filter((image) => isKnown(image.parentId) || image.labels[TEMPLATE_LABEL] === name);
      for (const image of leftovers) await remove(image.id);
      if (leftovers.length > 0) quietSince = Date.now();
      await new Promise((resolve) => setTimeout(resolve, LEFTOVER_POLL_MS));
    }
  }

  private async build(name: string, dockerfile: string): Promise<void> {
    const buildTag = `${name}.build-${randomBytes(4).toString('hex')}`;
    const buildImage = this.imageOf(name, buildTag);
    const log = new BuildLog(this.config.templateBuildLogMaxBytes);
    let flushedAt = 0;
    const flush = () => {
      flushedAt = Date.now();
      this.templates.update(name, { buildLog: log.text() });
    };
    const cancel = new AbortController();
    this.cancels.add(cancel);
    const timer = setTimeout(() => cancel.abort(), this.config.templateBuildTimeoutMs);
    let layers: string[] = [];
    let failure: string | null = null;
    try {
      const result = await this.docker.buildImage(
        dockerfileContext(dockerfile),
        {
          tag: buildImage,
          network: this.config.network,
          memoryBytes: this.config.maxMemoryMb * 1024 * 1024,
          cpu: this.config.maxCpu,
          labels: { [TEMPLATE_LABEL]: name, [MANAGER_LABEL]: this.config.managerId, ...(this.config.testLabel ? { [TEST_LABEL]: 'true' } : {}) },
          signal: cancel.signal,
        },
        (message) => {
          const text = messageText(message);
          if (!text) return;
          log.append(text);
          for (const line of text.split('\n')) if (line.trim()) this.logger.log({ template: name }, line);
          if (Date.now() - flushedAt > 500) flush();
        },
      );
      layers = result.layers;
      if (cancel.signal.aborted) failure = `Build cancelled after ${this.config.templateBuildTimeoutMs} ms (TEMPLATE_BUILD_TIMEOUT_MS)`;
      else if (result.error) failure = `Build failed: ${result.error}`;
      const sizeBytes = failure ? null : await this.docker.imageSize(buildImage);
      if (!failure && sizeBytes === null) failure = 'Build finished without an image';
      if (!failure && sizeBytes !== null && sizeBytes > this.config.templateMaxSizeBytes) {
        failure = `The image is ${mib(sizeBytes)} MB, above the limit of ${mib(this.config.templateMaxSizeBytes)} MB (TEMPLATE_MAX_SIZE_MB)`;
      }
      if (!failure) {
        const [repo] = this.imageOf(name).split(':');
        await this.docker.tagImage(buildImage, repo, name);
        await this.docker.untagImage(buildImage); // the image keeps its final tag
        log.append(`Template ${name} is ready (${mib(sizeBytes!)} MB).\n`);
        this.templates.update(name, { status: TemplateStatus.Ready, sizeBytes, buildLog: log.text() });
        return;
      }
    } catch (error) {
      failure = `Build failed: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      clearTimeout(timer);
      this.cancels.delete(cancel);
    }
    // No half image: neither the temporary tag nor the layers of the steps that did finish survive.
    await this.docker.removeImage(buildImage).catch(() => undefined);
    await this.removeLeftoverLayers(name, layers);
    log.append(`${failure}\n`);
    this.logger.warn({ template: name }, failure);
    this.templates.update(name, { status: TemplateStatus.Failed, sizeBytes: null, buildLog: log.text() });
  }
}

/** How long, at most, a failed build's leftover layers are looked for, and how long nothing new must turn up. */
const LEFTOVER_SWEEP_MS = 20_000;
const LEFTOVER_QUIET_MS = 3_000;
const LEFTOVER_POLL_MS = 500;

function messageText(message: BuildMessage): string {
  if (message.stream) return message.stream;
  if (message.error) return `ERROR: ${message.error}\n`;
  if (message.status) return `${message.status}\n`;
  return '';
}

function mib(bytes: number): number {
  return Math.ceil(bytes / 1024 / 1024);
}

/** The build output, keeping its end when it grows past the limit (errors come last). */
class BuildLog {
  private chunks: string[] = [];
  private length = 0;
  private cut = false;

  constructor(private readonly maxBytes: number) {}

  append(text: string): void {
    this.chunks.push(text);
    this.length += text.length;
    if (this.length <= this.maxBytes * 2) return;
    const joined = this.chunks.join('');
    this.chunks = [joined.slice(-this.maxBytes)];
    this.length = this.maxBytes;
    this.cut = true;
  }

  text(): string {
    const joined = this.chunks.join('');
    const tail = joined.length > this.maxBytes ? joined.slice(-this.maxBytes) : joined;
    return this.cut || joined.length > this.maxBytes ? `[... earlier output cut]\n${tail}` : tail;
  }
}
