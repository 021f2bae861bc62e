import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { GraphQLError } from 'graphql';
import { ErrorBody, ErrorCode, errorCodeOfStatus, httpStatusOf } from '@sandbox/contracts';
import { RequestBodyError } from '../http/json-depth';
import { DomainException } from './domain.exception';

/**
 * Codes that also set the HTTP status of a GraphQL answer: failures of the whole request (no or bad
 * credentials, rate limit) and bad input, so that a value out of range answers 400 like a value of the
 * wrong type, which GraphQL's own validation refuses with 400 before anything runs.
 */
const REQUEST_LEVEL_CODES = new Set<ErrorCode>([ErrorCode.Unauthorized, ErrorCode.RateLimited, ErrorCode.BadRequest]);

interface ErrorView {
  status: number;
  code: ErrorCode;
  /** Sent as is when the exception carries a full body of its own (e.g. a failed health check). */
  body: ErrorBody | Record<string, unknown>;
  headers?: Record<string, string>;
}

/**
 * Turns every exception into a response in one place. Expected failures keep their message;
 * anything else becomes a 500 with an error id, and only the log sees the cause.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): unknown {
    if (host.getType<string>() === 'graphql') return this.toGraphQLError(exception);
    const view = this.toView(exception);
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request>();
    if (response.headersSent) {
      this.logger.warn({ path: request?.url, err: exception }, 'error after response started; closing connection');
      response.destroy();
      return undefined;
    }
    if (view.headers) response.set(view.headers);
    response.status(view.status).json(view.body);
    return undefined;
  }

  /** The GraphQL form of the same answer, for resolvers and for hooks that run outside them. */
  toGraphQLError(exception: unknown): GraphQLError {
    const view = this.toView(exception);
    const message = 'message' in view.body ? view.body.message : 'Error';
    return new GraphQLError(Array.isArray(message) ? message.join('; ') : String(message), {
      extensions: {
        code: view.code,
        status: view.status,
        ...('errorId' in view.body ? { errorId: view.body.errorId } : {}),
        // Failures of the whole request and bad input also set the HTTP status (Apollo reads and strips
        // `extensions.http`); other field errors stay 200 with partial data.
        ...(REQUEST_LEVEL_CODES.has(view.code)
          ? { http: { status: view.status, ...(view.headers ? { headers: new Map(Object.entries(view.headers)) } : {}) } }
          : {}),
      },
    });
  }

  toView(exception: unknown): ErrorView {
    if (exception instanceof DomainException) {
      const status = exception.httpStatus;
      if (status >= 500) this.logger.warn({ err: exception.cause ?? exception }, exception.message);
      return { status, code: exception.code, body: { statusCode: status, message: exception.message }, headers: exception.headers };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      if (typeof response === 'object' && response !== null && !('message' in response)) {
        return { status, code: errorCodeOfStatus(status), body: response as Record<string, unknown> };
      }
      const message =
        typeof response === 'string' ? response : ((response as { message: string | string[] }).message ?? exception.message);
      return { status, code: errorCodeOfStatus(status), body: { statusCode: status, message } };
    }
    if (isBodyParserError(exception)) {
      const status = exception.status;
      const message = exception instanceof RequestBodyError ? exception.message : status === 413 ? 'Request body is too large' : 'Malformed request body';
      return { status, code: errorCodeOfStatus(status), body: { statusCode: status, message } };
    }
    const errorId = randomUUID();
    this.logger.error({ err: exception, errorId }, 'unhandled error');
    const status = httpStatusOf(ErrorCode.Internal);
    return { status, code: ErrorCode.Internal, body: { statusCode: status, message: 'Internal server error', errorId } };
  }
}

/** Errors from Express' body parsers carry a 4xx `status` and `expose: true`. */
function isBodyParserError(error: unknown): error is { status: number; type: string } {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { status?: unknown; expose?: unknown; type?: unknown };
  return (
    typeof candidate.status === 'number' &&
    candidate.status >= 400 &&
    candidate.status < 500 &&
    candidate.expose === true &&
    typeof candidate.type === 'string'
  );
}
