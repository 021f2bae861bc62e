import { ArgsType, Field, Int } from '@nestjs/graphql';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { COMMIT_REF_PATTERN, PREVIEW_PORT_MAX, PREVIEW_PORT_MIN, PreviewErrors } from '@sandbox/contracts';
import { SessionScopedArgs } from './graphql.inputs';

export const COMMIT_REF_MESSAGE = (field: string) => `${field} must be a commit hash: 4 to 40 lower-case hexadecimal characters`;

@ArgsType()
export class GitDiffArgs extends SessionScopedArgs {
  @Field({ description: 'A checkpoint of the session (a unique prefix of its hash is enough).' })
  @IsString({ message: COMMIT_REF_MESSAGE('from') })
  @Matches(COMMIT_REF_PATTERN, { message: COMMIT_REF_MESSAGE('from') })
  from!: string;

  @Field(() => String, { nullable: true, description: 'A later checkpoint; omitted: the workspace as it is now.' })
  @IsOptional()
  @IsString({ message: COMMIT_REF_MESSAGE('to') })
  @Matches(COMMIT_REF_PATTERN, { message: COMMIT_REF_MESSAGE('to') })
  to?: string;
}

@ArgsType()
export class PreviewPortArgs extends SessionScopedArgs {
  @Field(() => Int)
  @IsInt({ message: PreviewErrors.invalidPort })
  @Min(PREVIEW_PORT_MIN, { message: PreviewErrors.invalidPort })
  @Max(PREVIEW_PORT_MAX, { message: PreviewErrors.invalidPort })
  port!: number;
}

@ArgsType()
export class SetPreviewPrivateArgs extends PreviewPortArgs {
  @Field({ description: 'true: only requests with the returned token get through; false: anyone with the URL.' })
  @IsBoolean({ message: 'private must be a boolean' })
  private!: boolean;
}
