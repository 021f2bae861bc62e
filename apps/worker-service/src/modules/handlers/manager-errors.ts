import { ServiceBadRequestError, ServiceForbiddenError, ServiceNotFoundError, ServicePayloadTooLargeError } from '@sandbox/clients';
import { PermanentTaskError } from './task-handler';

/**
 * Calls the container-manager; answers that a retry cannot change (404, 400, 403, 413) fail the task at
 * once, while unreachable/5xx/timeouts are left to the retry policy.
 */
export async function callManager<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ServiceNotFoundError || error instanceof ServiceBadRequestError || error instanceof ServiceForbiddenError || error instanceof ServicePayloadTooLargeError) {
      throw new PermanentTaskError(`${what}: ${error.message}`, { cause: error });
    }
    throw error instanceof Error ? new Error(`${what}: ${error.message}`, { cause: error }) : error;
  }
}
