import { Field, ObjectType } from '@nestjs/graphql';

/** When a record was created and last changed. */
@ObjectType({ isAbstract: true })
export abstract class TimestampsModel {
  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

/** The times of work a worker carries out (a run, a task): also when it started and finished, null until then. */
@ObjectType({ isAbstract: true })
export abstract class WorkTimestampsModel extends TimestampsModel {
  @Field(() => Date, { nullable: true })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;
}
