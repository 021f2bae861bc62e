import { ClassConstructor, plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';

/** Thrown at boot when the environment does not satisfy a service's schema. */
export class InvalidEnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = InvalidEnvironmentError.name;
  }
}

function describe(errors: ValidationError[]): string[] {
  // Values are never echoed: several variables hold secrets.
  return errors.map((error) => `${error.property}: ${Object.values(error.constraints ?? { invalid: 'is invalid' }).join('; ')}`);
}

/**
 * Validates raw environment variables against a schema class and returns the typed result.
 * Empty strings count as unset so that `FOO=` falls back to the default.
 */
export function validateEnvironment<T extends object>(schema: ClassConstructor<T>, raw: Record<string, unknown>): T {
  const present = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== '' && value !== undefined));
  const config = plainToInstance(schema, present, { enableImplicitConversion: true });
  const errors = validateSync(config, { skipMissingProperties: false, whitelist: false, forbidUnknownValues: true, stopAtFirstError: true });
  if (errors.length > 0) throw new InvalidEnvironmentError(describe(errors));
  return config;
}
