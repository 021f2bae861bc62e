import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Authenticated } from '../auth/api-key-auth.guard';
import type { AuthenticatedUser } from '../auth/auth.types';
import { CurrentUser } from '../auth/current-user.decorator';
import { CreateTemplateArgs, TemplateNameArgs } from './dto/template.inputs';
import { TemplateModel } from './models/template.model';
import { TemplatesService } from './templates.service';

/** Templates over GraphQL (docs/templates.md): thin, the manager holds the rules. */
@Resolver(() => TemplateModel)
@Authenticated()
export class TemplatesResolver {
  constructor(private readonly service: TemplatesService) {}

  @Query(() => [TemplateModel])
  templates(): Promise<TemplateModel[]> {
    return this.service.list();
  }

  @Query(() => TemplateModel, { nullable: true })
  template(@Args() { name }: TemplateNameArgs): Promise<TemplateModel | null> {
    return this.service.find(name);
  }

  @Mutation(() => TemplateModel, { description: 'Returns at once with status BUILDING; poll template(name) for READY or FAILED.' })
  createTemplate(@CurrentUser() user: AuthenticatedUser, @Args() { name, dockerfile }: CreateTemplateArgs): Promise<TemplateModel> {
    return this.service.create(user, name, dockerfile);
  }

  @Mutation(() => Boolean, { description: 'Refused while sessions or other templates use it.' })
  deleteTemplate(@CurrentUser() user: AuthenticatedUser, @Args() { name }: TemplateNameArgs): Promise<boolean> {
    return this.service.delete(user, name);
  }
}
