import { DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ClassConstructor } from 'class-transformer';
import { validateEnvironment } from './env.validation';

/**
 * The global ConfigModule of a service: `process.env` is read once, validated against `schema`,
 * and the typed values are what `ConfigService` returns. An invalid variable stops the boot.
 */
export function serviceConfigModule<T extends object>(schema: ClassConstructor<T>, defaults: Partial<Record<keyof T, unknown>> = {}): Promise<DynamicModule> {
  return ConfigModule.forRoot({
    isGlobal: true,
    ignoreEnvFile: true,
    cache: true,
    validate: (raw) => validateEnvironment(schema, { ...defaults, ...raw }) as Record<string, unknown>,
  });
}
