import { ArgsType, Field } from '@nestjs/graphql';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { TEMPLATE_DOCKERFILE_MAX_LENGTH, TEMPLATE_NAME_PATTERN, TemplateErrors } from '@sandbox/contracts';

@ArgsType()
export class TemplateNameArgs {
  @Field()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;
}

@ArgsType()
export class CreateTemplateArgs {
  @Field({ description: 'Lower-case letters, digits and inner dashes, at most 40.' })
  @Matches(TEMPLATE_NAME_PATTERN, { message: TemplateErrors.invalidName })
  name!: string;

  @Field({ description: 'Its FROM lines name existing templates (e.g. FROM dev); RUN steps get the sandbox network rules.' })
  @IsString()
  @MinLength(1)
  @MaxLength(TEMPLATE_DOCKERFILE_MAX_LENGTH)
  dockerfile!: string;
}
