import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { SessionsModule } from '../sessions/sessions.module';
import { McpController } from './mcp.controller';
import { SandboxMcpServer } from './sandbox-mcp.server';

/** Sessions, exec, files, checkpoints and previews as MCP tools at `/mcp`, on the same services as GraphQL. */
@Module({
  imports: [AuthModule, SessionsModule],
  controllers: [McpController],
  providers: [SandboxMcpServer],
})
export class McpModule {}
