import { Global, Module } from '@nestjs/common';
import { SandboxAgentRepository } from '../../repositories/sandbox-agent/sandbox-agent.repository';
import { WorkspaceWatchFeeder } from './workspace-watch.feeder';

/**
 * The in-sandbox agents' connections (global: sessions set up a sandbox's agent, exec, files and
 * commands talk to it) and the workspace watch that feeds auto-checkpoints.
 */
@Global()
@Module({ providers: [SandboxAgentRepository, WorkspaceWatchFeeder], exports: [SandboxAgentRepository] })
export class SandboxAgentModule {}
