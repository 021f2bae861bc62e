import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ParseUUIDPipe } from '@nestjs/common';
import { MaxLength, MinLength } from 'class-validator';
import { ArgsType, Field } from '@nestjs/graphql';
import { Authenticated } from './api-key-auth.guard';
import { ApiKeyModel, IssuedApiKeyModel } from './api-key.model';
import { ApiKeysService } from './api-keys.service';
import type { AuthenticatedUser } from './auth.types';
import { CurrentUser } from './current-user.decorator';

@ArgsType()
class CreateApiKeyArgs {
  @Field()
  @MinLength(1)
  @MaxLength(100)
  name!: string;
}

/** The caller's own API keys: list, create (for the same user), revoke. */
@Resolver(() => ApiKeyModel)
@Authenticated()
export class ApiKeysResolver {
  constructor(private readonly keys: ApiKeysService) {}

  @Query(() => [ApiKeyModel])
  apiKeys(@CurrentUser() user: AuthenticatedUser): Promise<ApiKeyModel[]> {
    return this.keys.list(user);
  }

  @Mutation(() => IssuedApiKeyModel)
  async createApiKey(@CurrentUser() user: AuthenticatedUser, @Args() { name }: CreateApiKeyArgs): Promise<IssuedApiKeyModel> {
    const { key, record } = await this.keys.issue(user.name, name);
    return { key, apiKey: record };
  }

  @Mutation(() => ApiKeyModel)
  revokeApiKey(@CurrentUser() user: AuthenticatedUser, @Args('id', { type: () => ID }, ParseUUIDPipe) id: string): Promise<ApiKeyModel> {
    return this.keys.revoke(user, id);
  }
}
