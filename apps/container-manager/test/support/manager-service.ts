import type { ServiceDescription } from '@sandbox/shared';
import { CONTAINER_MANAGER_SERVICE } from '../../src/service';

/** The manager's pipeline without the preview gateway hook, which these tests do not need. */
export const MANAGER_TEST_SERVICE: ServiceDescription = { ...CONTAINER_MANAGER_SERVICE, configure: undefined };
