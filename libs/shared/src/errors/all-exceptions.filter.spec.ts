import { BadRequestException, ForbiddenException, ServiceUnavailableException } from '@nestjs/common';
import { ErrorCode } from '@sandbox/contracts';
import { AllExceptionsFilter } from './all-exceptions.filter';
import { DomainException } from './domain.exception';

describe(AllExceptionsFilter.name, () => {
  const filter = new AllExceptionsFilter();

  it('should keep a domain exception message and map its code to a status', () => {
    expect(filter.toView(DomainException.conflict('Session is stopped'))).toEqual({
      status: 409,
      code: ErrorCode.Conflict,
      body: { statusCode: 409, message: 'Session is stopped' },
    });
  });

  it('should render Nest HTTP exceptions as { statusCode, message }', () => {
    expect(filter.toView(new ForbiddenException('Forbidden')).body).toEqual({ statusCode: 403, message: 'Forbidden' });
    expect(filter.toView(new BadRequestException(['a must be a string'])).body).toEqual({ statusCode: 400, message: ['a must be a string'] });
  });

  it('should pass a full response body through (failed health checks)', () => {
    const body = { status: 'error', info: {}, error: { worker: { status: 'down' } }, details: {} };
    expect(filter.toView(new ServiceUnavailableException(body))).toMatchObject({ status: 503, body });
  });

  it('should hide an unknown error behind a 500 with an error id', () => {
    const view = filter.toView(new Error('connection string postgres://user:secret@db'));
    expect(view.status).toBe(500);
    expect(view.body).toEqual({ statusCode: 500, message: 'Internal server error', errorId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(JSON.stringify(view.body)).not.toContain('secret');
  });

  it('should answer 413 for a body parser size error', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), { status: 413, expose: true, type: 'entity.too.large' });
    expect(filter.toView(tooLarge).body).toEqual({ statusCode: 413, message: 'Request body is too large' });
  });
});
