import { Field, Float, ObjectType, registerEnumType } from '@nestjs/graphql';
import { TemplateStatus } from '@sandbox/contracts';

/** GraphQL names are the values themselves (BUILDING, ...), not the contract enum's keys. */
export const TemplateStatusEnum = {
  BUILDING: TemplateStatus.Building,
  READY: TemplateStatus.Ready,
  FAILED: TemplateStatus.Failed,
} as const satisfies Record<TemplateStatus, TemplateStatus>;

registerEnumType(TemplateStatusEnum, { name: 'TemplateStatus', description: 'BUILDING → READY, or FAILED (see buildLog).' });

@ObjectType('Template', { description: 'A named sandbox image: built in (base, dev) or built from a Dockerfile.' })
export class TemplateModel {
  @Field()
  name!: string;

  @Field(() => TemplateStatusEnum)
  status!: TemplateStatus;

  @Field(() => Float, { nullable: true, description: 'Image size in bytes once READY.' })
  sizeBytes!: number | null;

  @Field({ description: 'Build output (its end when long); empty for built-in templates.' })
  buildLog!: string;

  @Field()
  builtIn!: boolean;

  @Field(() => String, { nullable: true, description: 'The template its Dockerfile starts FROM.' })
  baseTemplate!: string | null;

  @Field()
  createdAt!: Date;
}
