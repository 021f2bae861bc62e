import { Injectable } from '@nestjs/common';
import { create, toJson } from '@bufbuild/protobuf';
import { timestampFromDate, ValueSchema } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, ConnectRouter, ContextValues, createContextKey, createContextValues, HandlerContext } from '@connectrpc/connect';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { IncomingMessage } from 'node:http';
import {
  InitRunRequest,
  InitRunResponseSchema,
  PipelineService,
  StartRunRequest,
  StartRunResponseSchema,
  SubmitRunInputRequest,
  SubmitRunInputResponseSchema,
  WatchRunRequest,
  WatchRunResponse,
  WatchRunResponseSchema,
} from '@sandbox/contracts/pipeline';
import { RunEvent } from '@sandbox/contracts';
import { clientAddress, DomainException } from '@sandbox/shared';
import { ApiKeyRateLimiter } from '../auth/api-key-rate-limiter';
import { ApiKeysService } from '../auth/api-keys.service';
import type { AuthenticatedUser } from '../auth/auth.types';
import { InitRunInput, RunEventsArgs, StartRunArgs, SubmitRunInputArgs } from '../runs/dto/run.inputs';
import { RunsService } from '../runs/runs.service';
import { toConnectError } from './connect-errors';

/** Largest request message accepted (a run's input is at most 64 KiB as JSON). */
export const CONNECT_READ_MAX_BYTES = 1_048_576;

const kAddress = createContextKey<string>('unknown', { description: 'client address' });
const kUser = createContextKey<AuthenticatedUser | undefined>(undefined, { description: 'API key owner' });

/** The client address of an HTTP/1 (Express) or HTTP/2 request, for the failed-authentication budget. */
export function connectContextValues(req: IncomingMessage | { socket?: { remoteAddress?: string } }): ContextValues {
  return createContextValues().set(kAddress, clientAddress(req as IncomingMessage));
}

/** The same input rules as the GraphQL arguments (class-validator on the DTO classes); 400 with every message. */
function validated<T extends object>(type: new () => T, plain: object): T {
  const input = plainToInstance(type, plain);
  const errors = validateSync(input, { whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: false });
  if (errors.length > 0) {
    const messages = errors.flatMap((error) => Object.values(error.constraints ?? {}));
    throw DomainException.badRequest(messages.join('; '));
  }
  return input;
}

function toWatchRunResponse(event: RunEvent): WatchRunResponse {
  return create(WatchRunResponseSchema, {
    seq: event.seq,
    type: event.type,
    message: event.message,
    dataJson: JSON.stringify(event.data ?? null),
    timestamp: timestampFromDate(new Date(event.timestamp)),
  });
}

/**
 * `sandbox.v1.PipelineService` (docs/runs.md, Connect): the GraphQL runs operations over Connect, gRPC-Web
 * and gRPC. Thin like the resolver: each RPC validates its input with the resolver's DTO rules and calls
 * the same RunsService method with the caller, so ownership, messages and the one-active-run rule are
 * the GraphQL ones. The API key is checked, and counted against its rate limit, by `authenticate`
 * (the router's request gate) before any request message is read.
 */
@Injectable()
export class PipelineConnectService {
  constructor(
    private readonly runs: RunsService,
    private readonly apiKeys: ApiKeysService,
    private readonly rateLimiter: ApiKeyRateLimiter,
  ) {}

  /** `Authorization: Bearer <key>` on every call: `unauthenticated` without a valid key, `resource_exhausted` over its budget. */
  readonly authenticate = async (context: HandlerContext): Promise<void> => {
    try {
      const user = await this.apiKeys.authenticate(context.requestHeader.get('authorization') ?? undefined, context.values.get(kAddress));
      await this.rateLimiter.countOperation(user);
      context.values.set(kUser, user);
    } catch (error) {
      throw toConnectError(error);
    }
  };

  readonly routes = (router: ConnectRouter): void => {
    router.service(PipelineService, {
      initRun: (request, context) => this.call(() => this.initRun(this.user(context), request)),
      startRun: (request, context) => this.call(() => this.startRun(this.user(context), request)),
      submitRunInput: (request, context) => this.call(() => this.submitRunInput(this.user(context), request)),
      watchRun: (request, context) => this.watchRun(this.user(context), request, context.signal),
    });
  };

  private async initRun(user: AuthenticatedUser, request: InitRunRequest) {
    const input = validated(InitRunInput, { repoUrl: request.repoUrl, ref: request.ref, template: request.template, pipeline: request.pipeline });
    const { session, run } = await this.runs.initRun(user, input);
    return create(InitRunResponseSchema, { sessionId: session.id, bootstrapRunId: run.id });
  }

  private async startRun(user: AuthenticatedUser, request: StartRunRequest) {
    const input = request.input === undefined ? undefined : toJson(ValueSchema, request.input);
    const args = validated(StartRunArgs, { sessionId: request.sessionId, pipeline: request.pipelineId, input });
    const run = await this.runs.startRun(user, args.sessionId, args.pipeline, args.input);
    return create(StartRunResponseSchema, { runId: run.id });
  }

  private async submitRunInput(user: AuthenticatedUser, request: SubmitRunInputRequest) {
    const args = validated(SubmitRunInputArgs, { sessionId: request.sessionId, runId: request.runId, input: request.input });
    const run = await this.runs.submitRunInput(user, args.sessionId, args.runId, args.input);
    return create(SubmitRunInputResponseSchema, { nextRunId: run.id });
  }

  /** Past events in seq order, then live ones, until COMPLETE or ERROR; `not_found` before anything is sent. */
  private async *watchRun(user: AuthenticatedUser, request: WatchRunRequest, signal: AbortSignal): AsyncGenerator<WatchRunResponse> {
    try {
      const args = validated(RunEventsArgs, { runId: request.runId, afterSeq: request.afterSeq });
      for await (const event of await this.runs.events(user, args.runId, args.afterSeq, signal)) yield toWatchRunResponse(event);
    } catch (error) {
      throw toConnectError(error);
    }
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw toConnectError(error);
    }
  }

  private user(context: HandlerContext): AuthenticatedUser {
    const user = context.values.get(kUser);
    // The request gate runs before every handler; without it no call reaches here.
    if (!user) throw new ConnectError('A valid API key is required (Authorization: Bearer <key>)', Code.Unauthenticated);
    return user;
  }
}
