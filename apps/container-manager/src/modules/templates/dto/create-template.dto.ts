import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { CreateTemplateRequest, TEMPLATE_DOCKERFILE_MAX_LENGTH, TEMPLATE_NAME_PATTERN, TemplateErrors } from '@sandbox/contracts';

export class CreateTemplateDto implements CreateTemplateRequest {
  @ApiProperty({ pattern: TEMPLATE_NAME_PATTERN.source })
  @IsString({ message: TemplateErrors.invalidName })
  @Matches(TEMPLATE_NAME_PATTERN, { message: TemplateErrors.invalidName })
  name!: string;

  @ApiProperty({ description: 'A Dockerfile whose FROM lines name existing templates', maxLength: TEMPLATE_DOCKERFILE_MAX_LENGTH })
  @IsString({ message: 'dockerfile must be a string' })
  @MinLength(1, { message: 'dockerfile must not be empty' })
  @MaxLength(TEMPLATE_DOCKERFILE_MAX_LENGTH, { message: `dockerfile must be at most ${TEMPLATE_DOCKERFILE_MAX_LENGTH} characters` })
  dockerfile!: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The gateway user creating it' })
  @IsOptional()
  @IsUUID('all', { message: 'ownerId must be a UUID' })
  ownerId?: string;
}
