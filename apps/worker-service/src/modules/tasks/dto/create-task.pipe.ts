import { ArgumentMetadata, Injectable, PipeTransform, ValidationPipe } from '@nestjs/common';
import { TASK_PRIORITY_VALUES } from '@sandbox/contracts';
import type { CreateTaskRequest } from '@sandbox/contracts';
import { CreateTaskDto, OWNER_ID_PATTERN } from './create-task.dto';

const KNOWN_FIELDS = new Set(['type', 'payload', 'priority', 'maxAttempts', 'ownerId']);
const PRIORITIES: readonly unknown[] = TASK_PRIORITY_VALUES;

/**
 * True only for a body that `CreateTaskDto` certainly accepts as it is: known fields only, each of the
 * right type and range. Anything else (including bodies that would be valid) takes the full path.
 */
function plainlyValid(body: unknown): body is CreateTaskRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const value = body as Record<string, unknown>;
  for (const key of Object.keys(value)) if (!KNOWN_FIELDS.has(key)) return false;
  const { type, payload, priority, maxAttempts, ownerId } = value;
  if (typeof type !== 'string' || type.length < 1 || type.length > 100) return false;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return false;
  if (!PRIORITIES.includes(priority)) return false;
  if (maxAttempts != null && !(Number.isInteger(maxAttempts) && (maxAttempts as number) >= 1 && (maxAttempts as number) <= 100)) return false;
  if (ownerId != null && !(typeof ownerId === 'string' && OWNER_ID_PATTERN.test(ownerId))) return false;
  return true;
}

/**
 * Validates `POST /api/tasks` bodies. The hot path checks a well-formed body directly (class-validator
 * and class-transformer cost more per request than the rest of our create path's CPU in Node); any
 * other body goes through a ValidationPipe with the global pipe's options on `CreateTaskDto`, so
 * every 400 and its messages are exactly what the global pipe would answer. The controller types the
 * body as the `CreateTaskRequest` interface, which the global pipe leaves alone.
 */
@Injectable()
export class CreateTaskPipe implements PipeTransform<unknown, Promise<CreateTaskRequest> | CreateTaskRequest> {
  // Same options as the global pipe (libs/shared configureApp).
  private readonly full = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: false });

  transform(value: unknown, metadata: ArgumentMetadata): Promise<CreateTaskRequest> | CreateTaskRequest {
    if (plainlyValid(value)) return value;
    return this.full.transform(value, { ...metadata, metatype: CreateTaskDto }) as Promise<CreateTaskRequest>;
  }
}
