import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { GatewaySessionStatus } from '@sandbox/contracts';
import { GitCheckpointModel } from './git-checkpoint.model';
import { SessionStatusEnum } from './session.model';

export enum SessionEventType {
  /** The first event of every subscription: the session's status when it began (nothing missed since). */
  SNAPSHOT = 'SNAPSHOT',
  STATUS_CHANGED = 'STATUS_CHANGED',
  CHECKPOINT_CREATED = 'CHECKPOINT_CREATED',
  /** The session was deleted; the subscription completes after it. */
  DELETED = 'DELETED',
}

registerEnumType(SessionEventType, { name: 'SessionEventType' });

@ObjectType('SessionEvent', { description: 'SNAPSHOT first (status set), then status changes (status set), new checkpoints (checkpoint set) and DELETED (last).' })
export class SessionEventModel {
  @Field(() => SessionEventType)
  type!: SessionEventType;

  @Field(() => ID)
  sessionId!: string;

  @Field(() => SessionStatusEnum, { nullable: true })
  status?: GatewaySessionStatus | null;

  @Field(() => String, { nullable: true })
  errorReason?: string | null;

  @Field(() => GitCheckpointModel, { nullable: true })
  checkpoint?: GitCheckpointModel | null;

  @Field()
  at!: Date;
}
