import { All, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Response } from 'express';
import { Authenticated } from '../auth/api-key-auth.guard';
import type { AuthenticatedRequest, AuthenticatedUser } from '../auth/auth.types';
import { CurrentUser } from '../auth/current-user.decorator';
import { SandboxMcpServer } from './sandbox-mcp.server';

/**
 * The MCP server (docs/developer-surface.md, MCP server): Streamable HTTP, stateless. Each POST builds
 * a server for the caller's key and answers it as JSON; the same API-key guard and rate limit as
 * GraphQL run first, so a missing or bad key is the usual 401 and nothing MCP-specific is reachable.
 */
@ApiTags('mcp')
@ApiSecurity('bearer')
@Controller('mcp')
@Authenticated()
export class McpController {
  constructor(private readonly servers: SandboxMcpServer) {}

  @Post()
  @ApiOkResponse({ description: 'JSON-RPC answer of the MCP request (Streamable HTTP, JSON responses)' })
  async handle(@CurrentUser() user: AuthenticatedUser, @Req() req: AuthenticatedRequest, @Res() res: Response): Promise<void> {
    const server = this.servers.create(user);
    // No session id: every request stands alone, so any gateway replica can answer it.
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  }

  /** A stateless server has no stream to resume (GET) and no session to end (DELETE). */
  @All()
  @HttpCode(405)
  @ApiExcludeEndpoint()
  other(@Res({ passthrough: true }) res: Response): object {
    res.setHeader('allow', 'POST');
    return { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this MCP server is stateless, use POST' }, id: null };
  }
}
