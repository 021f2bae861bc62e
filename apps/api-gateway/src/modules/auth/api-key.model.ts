import { Field, ID, ObjectType } from '@nestjs/graphql';

@ObjectType('ApiKey', { description: 'An API key; the key itself is never stored or shown again after creation.' })
export class ApiKeyModel {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field({ description: 'First characters of the key, to tell keys apart.' })
  prefix!: string;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  lastUsedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;
}

@ObjectType('IssuedApiKey')
export class IssuedApiKeyModel {
  @Field({ description: 'The key: shown this once.' })
  key!: string;

  @Field(() => ApiKeyModel)
  apiKey!: ApiKeyModel;
}
