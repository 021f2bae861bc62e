import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { GatewaySessionStatus } from '@sandbox/contracts';
import { GitCheckpointModel } from './git-checkpoint.model';
import { SessionStatusEnum } from './session.model';

export enum SessionEventType {
  STATUS_CHANGED = 'STATUS_CHANGED',
  CHECKPOINT_CREATED = 'CHECKPOINT_CREATED',
}

registerEnumType(SessionEventType, { name: 'SessionEventType' });

@ObjectType('SessionEvent', { description: 'A status change (status set) or a new checkpoint (checkpoint set).' })
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
