import { Injectable } from '@nestjs/common';
import {
  BUILT_IN_PIPELINE_STEPS,
  BUILT_IN_PIPELINES,
  BuiltInPipeline,
  mcpTargetRefusal,
  PIPELINE_NAME_PATTERN,
  pipelineStepProblems,
  PipelineStep,
  RunMessages,
  UserPipelineStep,
} from '@sandbox/contracts';
import { DomainException, hostOf, resolvePublicHost, TargetRefusedError } from '@sandbox/shared';
import type { AuthenticatedUser } from '../auth/auth.types';
import { RunsRepository } from './runs.repository';
import { GatewayConfig } from '../../config/gateway-config';

export interface PipelineView {
  name: string;
  builtIn: boolean;
  steps: PipelineStep[];
  createdAt: Date | null;
  updatedAt: Date | null;
}

const isBuiltIn = (name: string): name is BuiltInPipeline => (BUILT_IN_PIPELINES as readonly string[]).includes(name);

/** The built-in pipelines and each owner's own (docs/runs.md, Pipelines). */
@Injectable()
export class PipelinesService {
  private readonly allowPrivateMcp: boolean;

  constructor(
    private readonly runs: RunsRepository,
    config: GatewayConfig,
  ) {
    this.allowPrivateMcp = config.mcpAllowPrivateTargets;
  }

  /** The steps of `name` for `user`: built-in first, then the owner's; 400 listing the known names otherwise. */
  async resolve(user: AuthenticatedUser, name: string): Promise<PipelineStep[]> {
    if (isBuiltIn(name)) return BUILT_IN_PIPELINE_STEPS[name];
    const own = PIPELINE_NAME_PATTERN.test(name) ? await this.runs.findPipeline(user.id, name) : null;
    if (own) return own.steps;
    const known = [...BUILT_IN_PIPELINES, ...(await this.runs.listPipelines(user.id)).map((p) => p.name)];
    throw DomainException.badRequest(RunMessages.unknownPipeline(name, known));
  }

  async list(user: AuthenticatedUser): Promise<PipelineView[]> {
    const builtIn = BUILT_IN_PIPELINES.map((name) => ({ name, builtIn: true, steps: BUILT_IN_PIPELINE_STEPS[name], createdAt: null, updatedAt: null }));
    const own = (await this.runs.listPipelines(user.id)).map((p) => ({ ...p, builtIn: false }));
    return [...builtIn, ...own];
  }

  /** Registers (or replaces) one of the owner's pipelines; 400 naming every problem of its steps. */
  async register(user: AuthenticatedUser, name: string, steps: unknown): Promise<PipelineView> {
    if (!PIPELINE_NAME_PATTERN.test(name)) {
      throw DomainException.badRequest('name must be 1-64 characters of a-z 0-9 . _ - starting with a letter or digit');
    }
    if (isBuiltIn(name)) throw DomainException.badRequest(`Pipeline ${name} is built in; choose another name`);
    const problems = pipelineStepProblems(steps);
    if (problems.length === 0) problems.push(...(await this.mcpTargetProblems(steps as UserPipelineStep[])));
    if (problems.length > 0) throw DomainException.badRequest(`Invalid pipeline: ${problems.join('; ')}`);
    const saved = await this.runs.upsertPipeline(user.id, name, steps as UserPipelineStep[]);
    return { ...saved, builtIn: false };
  }

  /**
   * MCP servers are called from the worker's network: like webhooks, their hosts must resolve to
   * public addresses only (libs/shared public-targets), unless MCP_ALLOW_PRIVATE_TARGETS. The worker
   * checks again when it connects, so a name re-pointed later is refused there.
   */
  private async mcpTargetProblems(steps: UserPipelineStep[]): Promise<string[]> {
    if (this.allowPrivateMcp) return [];
    const problems: string[] = [];
    for (const [index, step] of steps.entries()) {
      if (step.kind !== 'agent') continue;
      for (const [n, server] of (step.mcpServers ?? []).entries()) {
        const at = `steps[${index}].mcpServers[${n}]`;
        let host: string;
        try {
          host = hostOf(new URL(server.url));
        } catch {
          problems.push(`${at}.url must be an http or https URL`);
          continue;
        }
        try {
          await resolvePublicHost(host, false);
        } catch (error) {
          if (!(error instanceof TargetRefusedError)) throw error;
          problems.push(`${at}: ${mcpTargetRefusal(server.name, host, error.address)}`);
        }
      }
    }
    return problems;
  }
}
