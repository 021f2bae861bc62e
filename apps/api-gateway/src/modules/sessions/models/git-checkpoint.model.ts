import { Field, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('GitCheckpoint')
export class GitCheckpointModel {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  sessionId!: string;

  @Field()
  commitHash!: string;

  @Field(() => Int)
  filesChanged!: number;

  @Field(() => Int, { nullable: true })
  messageNumber!: number | null;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => ID, { nullable: true, description: 'The run that was RUNNING in the session when this checkpoint was taken.' })
  runId!: string | null;

  @Field()
  createdAt!: Date;
}
