import type { Type } from '@nestjs/common';
import { Field, Int, ObjectType } from '@nestjs/graphql';

/** One page of a list under its own name (`runs`, `tasks`, ...) and the size of the whole list. */
export type Page<K extends string, T> = Record<K, T[]> & { total: number };

/**
 * The base of a `XPage { <items>: [X!]!, total: Int! }` type, the answer of every list that takes
 * PageArgs: `@ObjectType('RunPage') class RunPageModel extends PageModel('runs', RunModel) {}`.
 */
export function PageModel<K extends string, T>(items: K, itemType: Type<T>): Type<Page<K, T>> {
  @ObjectType({ isAbstract: true })
  class PageOfItems {
    @Field(() => Int)
    total!: number;
  }
  // The list's field name is the caller's, so its decorator is applied by hand.
  Field(() => [itemType])(PageOfItems.prototype, items);
  return PageOfItems as Type<Page<K, T>>;
}
