/** What a sandbox starts from: a named image (docs/templates.md). */
export enum TemplateStatus {
  Building = 'BUILDING',
  Ready = 'READY',
  Failed = 'FAILED',
}

/** Built in: `base` (busybox + Node, the fastest) and `dev` (Debian with toolchains), the default. */
export const BUILT_IN_TEMPLATES = ['base', 'dev'] as const;
export const DEFAULT_TEMPLATE = 'dev';

/** Lower-case letters, digits and inner dashes; at most 40 characters. */
export const TEMPLATE_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
export const TEMPLATE_DOCKERFILE_MAX_LENGTH = 65_536;

export interface Template {
  name: string;
  status: TemplateStatus;
  /** Image size once built; null while building or after a failure. */
  sizeBytes: number | null;
  /** Build output (the tail when it is long); empty for the built-in templates. */
  buildLog: string;
  builtIn: boolean;
  /** Gateway user who created it (only they may delete it); null for built-in ones. */
  ownerId: string | null;
  /** The local image a session of this template runs (internal: not part of the GraphQL type). */
  image: string;
  /** The template its Dockerfile starts FROM; null for built-in ones. */
  baseTemplate: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface TemplateList {
  templates: Template[];
}

export interface CreateTemplateRequest {
  name: string;
  dockerfile: string;
  ownerId?: string;
}

export const TemplateErrors = {
  unknown: (name: string) => `Unknown template ${name}`,
  unknownBase: (name: string) => `Unknown base template ${name}`,
  unknownImage: (image: string) => `No template uses image ${image}`,
  templateAndImage: () => 'Give either template or image, not both',
  invalidName: 'name must be 1 to 40 lower-case letters, digits or inner dashes',
  exists: (name: string) => `Template ${name} already exists`,
  notReady: (name: string, status: TemplateStatus) => `Template ${name} is not ready (status: ${status})`,
  builtIn: (name: string) => `Template ${name} is built in and cannot be deleted`,
  inUse: (name: string, sessions: number) => `Template ${name} is used by ${sessions} session(s); delete them first`,
  isBase: (name: string, child: string) => `Template ${name} is the base of template ${child}; delete that first`,
  building: (name: string) => `Template ${name} is still building`,
  notOwner: (name: string) => `Template ${name} belongs to another user`,
} as const;
