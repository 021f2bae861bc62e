import { Module } from '@nestjs/common';
import { AgentStepRunner } from './agent-step.runner';
import { ChatModelRepository } from './chat-model.repository';
import { McpToolsRepository } from './mcp-tools.repository';
import { SandboxTools } from './sandbox-tools';

/**
 * The agent step of runs (docs/agent.md). Needs the global WorkerConfigModule and ServiceClientsModule
 * (for the ContainerManagerClient), as the worker's AppModule provides them.
 */
@Module({
  providers: [ChatModelRepository, McpToolsRepository, SandboxTools, AgentStepRunner],
  exports: [AgentStepRunner],
})
export class AgentModule {}
