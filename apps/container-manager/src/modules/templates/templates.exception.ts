import { TemplateErrors, TemplateStatus } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';

export const TemplateExceptions = {
  unknown: (name: string) => DomainException.badRequest(TemplateErrors.unknown(name)),
  notFound: (name: string) => DomainException.notFound(TemplateErrors.unknown(name)),
  unknownBase: (name: string) => DomainException.badRequest(TemplateErrors.unknownBase(name)),
  unknownImage: (image: string) => DomainException.badRequest(TemplateErrors.unknownImage(image)),
  templateAndImage: () => DomainException.badRequest(TemplateErrors.templateAndImage()),
  invalidDockerfile: (message: string) => DomainException.badRequest(message),
  exists: (name: string) => DomainException.conflict(TemplateErrors.exists(name)),
  notReady: (name: string, status: TemplateStatus) => DomainException.conflict(TemplateErrors.notReady(name, status)),
  builtIn: (name: string) => DomainException.badRequest(TemplateErrors.builtIn(name)),
  inUse: (name: string, sessions: number) => DomainException.conflict(TemplateErrors.inUse(name, sessions)),
  isBase: (name: string, child: string) => DomainException.conflict(TemplateErrors.isBase(name, child)),
  building: (name: string) => DomainException.conflict(TemplateErrors.building(name)),
};
