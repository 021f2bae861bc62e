import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { GatewaySessionStatus } from '@sandbox/contracts';

/** GraphQL names are the values themselves (PENDING, ...), not the contract enum's keys (Pending, ...). */
export const SessionStatusEnum = {
  PENDING: GatewaySessionStatus.Pending,
  ACTIVE: GatewaySessionStatus.Active,
  STOPPED: GatewaySessionStatus.Stopped,
  ERROR: GatewaySessionStatus.Error,
} as const satisfies Record<GatewaySessionStatus, GatewaySessionStatus>;

registerEnumType(SessionStatusEnum, { name: 'SessionStatus', description: 'PENDING → ACTIVE → STOPPED; any → ERROR; STOPPED → ACTIVE on restart.' });

@ObjectType('Session')
export class SessionModel {
  @Field(() => ID)
  id!: string;

  @Field(() => SessionStatusEnum)
  status!: GatewaySessionStatus;

  @Field(() => String, { nullable: true, description: 'The template it started from.' })
  template!: string | null;

  @Field(() => String, { nullable: true, description: "The template's image; null when the container-manager could not be asked at create time." })
  image!: string | null;

  @Field(() => String, { nullable: true, description: 'Why the session is in ERROR.' })
  errorReason!: string | null;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;

  @Field(() => Date, { nullable: true })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  stoppedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'The repository initRun imported into the session.' })
  repoUrl!: string | null;

  @Field(() => String, { nullable: true, description: "The repository's name, inferred from its URL (https://host/org/name.git → name)." })
  repoName!: string | null;
}

@ObjectType('SessionPage')
export class SessionPageModel {
  @Field(() => [SessionModel])
  sessions!: SessionModel[];

  @Field(() => Int)
  total!: number;
}
