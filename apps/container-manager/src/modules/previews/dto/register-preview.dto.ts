import { ApiProperty } from '@nestjs/swagger';
import { Allow } from 'class-validator';
import type { RegisterPreviewRequest } from '@sandbox/contracts';

/**
 * `port` is checked by the service, not here: docs/api.md (Preview errors) has distinct exact messages for a missing
 * and an invalid port, which stacked class-validator messages can't give.
 */
export class RegisterPreviewDto implements Partial<Record<keyof RegisterPreviewRequest, unknown>> {
  @ApiProperty({ type: Number, minimum: 1024, maximum: 65535, example: 3000, description: 'Port the app listens on inside the sandbox' })
  @Allow()
  port?: unknown;
}
