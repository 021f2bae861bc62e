import { Injectable } from '@nestjs/common';
import { ContainerManagerClient, ServiceNotFoundError } from '@sandbox/clients';
import { Template, TemplateErrors, TemplateStatus } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';
import type { AuthenticatedUser } from '../auth/auth.types';
import { TemplateModel } from './models/template.model';

function toModel(template: Template): TemplateModel {
  return { ...template, createdAt: new Date(template.createdAt) };
}

/**
 * Templates live in the container-manager (its SQLite and Docker images); this forwards the
 * GraphQL operations. Every user sees and may start from every template; only its creator
 * deletes a user template.
 */
@Injectable()
export class TemplatesService {
  constructor(private readonly manager: ContainerManagerClient) {}

  async list(): Promise<TemplateModel[]> {
    return (await this.manager.listTemplates()).templates.map(toModel);
  }

  /**
   * The template a create names, by name or (the form kept from before templates) by its image;
   * the default when neither is given.
   */
  async nameFor(selector: { template?: string; image?: string }, defaultName: string): Promise<string> {
    if (selector.image === undefined) return selector.template ?? defaultName;
    if (selector.template !== undefined) throw DomainException.badRequest(TemplateErrors.templateAndImage());
    const byImage = (await this.manager.listTemplates()).templates.find((template) => template.image === selector.image);
    if (!byImage) throw DomainException.badRequest(TemplateErrors.unknownImage(selector.image));
    return byImage.name;
  }

  async find(name: string): Promise<TemplateModel | null> {
    const template = await this.findTemplate(name);
    return template && toModel(template);
  }

  async create(user: AuthenticatedUser, name: string, dockerfile: string): Promise<TemplateModel> {
    return toModel(await this.manager.createTemplate({ name, dockerfile, ownerId: user.id }));
  }

  private async findTemplate(name: string): Promise<Template | null> {
    try {
      return await this.manager.getTemplate(name);
    } catch (error) {
      if (error instanceof ServiceNotFoundError) return null;
      throw error;
    }
  }

  async delete(user: AuthenticatedUser, name: string): Promise<boolean> {
    const template = await this.findTemplate(name);
    if (!template) throw DomainException.notFound(TemplateErrors.unknown(name));
    if (!template.builtIn && template.ownerId !== user.id) throw DomainException.forbidden(TemplateErrors.notOwner(name));
    await this.manager.deleteTemplate(name);
    return true;
  }

  /** The template a new session starts from: `400 Unknown template {name}` when there is none. */
  async requireReady(name: string): Promise<Template> {
    const template = await this.findTemplate(name);
    if (!template) throw DomainException.badRequest(TemplateErrors.unknown(name));
    if (template.status !== TemplateStatus.Ready) throw DomainException.conflict(TemplateErrors.notReady(name, template.status));
    return template;
  }
}
