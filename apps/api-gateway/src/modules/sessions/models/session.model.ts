import { Field, Float, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { GatewaySessionStatus } from '@sandbox/contracts';
import { PageModel } from '../../graphql/page.model';
import { TimestampsModel } from '../../graphql/timestamps.model';

/** GraphQL names are the values themselves (PENDING, ...), not the contract enum's keys (Pending, ...). */
export const SessionStatusEnum = {
  PENDING: GatewaySessionStatus.Pending,
  ACTIVE: GatewaySessionStatus.Active,
  STOPPED: GatewaySessionStatus.Stopped,
  ERROR: GatewaySessionStatus.Error,
  PAUSED: GatewaySessionStatus.Paused,
} as const satisfies Record<GatewaySessionStatus, GatewaySessionStatus>;

registerEnumType(SessionStatusEnum, {
  name: 'SessionStatus',
  description: 'PENDING → ACTIVE → STOPPED; any → ERROR; STOPPED → ACTIVE on restart; ACTIVE ⇄ PAUSED (idle or pauseSession; any use resumes), PAUSED → STOPPED.',
});

@ObjectType('Session')
export class SessionModel extends TimestampsModel {
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

  @Field(() => Date, { nullable: true })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  stoppedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'The repository initRun imported into the session.' })
  repoUrl!: string | null;

  @Field(() => String, { nullable: true, description: "The repository's name, inferred from its URL (https://host/org/name.git → name)." })
  repoName!: string | null;
}

@ObjectType('SessionUsage', { description: "What a session's sandbox consumes now (read from Docker and its filesystem, cached for a couple of seconds)." })
export class SessionUsageModel {
  @Field(() => Float, { description: 'CPU use in percent of one CPU (200 = two CPUs busy); 0 when not running.' })
  cpuPercent!: number;

  @Field(() => Float, { description: 'Memory in use, page cache excluded.' })
  memoryBytes!: number;

  @Field(() => Float, { nullable: true, description: 'Used bytes of its workspace filesystem (workspace and checkpoint history); null without workspace quotas.' })
  diskBytes!: number | null;

  @Field(() => Float, { description: 'Bytes received since the sandbox started.' })
  networkRxBytes!: number;

  @Field(() => Float, { description: 'Bytes sent since the sandbox started.' })
  networkTxBytes!: number;

  @Field({ description: 'When these numbers were read.' })
  sampledAt!: Date;
}

@ObjectType('SessionPage')
export class SessionPageModel extends PageModel('sessions', SessionModel) {}
