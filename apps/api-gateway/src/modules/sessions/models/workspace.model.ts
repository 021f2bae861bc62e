import { Field, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('GitFileStatus', { description: 'One changed path since the last checkpoint, with git’s two status letters.' })
export class GitFileStatusModel {
  @Field()
  path!: string;

  @Field({ description: 'Index (staged) status letter, " " when unchanged.' })
  index!: string;

  @Field({ description: 'Working-tree status letter ("?" for a new file).' })
  workingDir!: string;
}

@ObjectType('GitStatus', { description: 'The workspace against its last checkpoint.' })
export class GitStatusModel {
  @Field()
  clean!: boolean;

  @Field(() => String, { nullable: true, description: 'Commit hash of the last checkpoint.' })
  head!: string | null;

  @Field(() => [GitFileStatusModel])
  files!: GitFileStatusModel[];
}

@ObjectType('GitDiff', { description: 'A unified diff between two checkpoints, or from a checkpoint to the workspace (to null).' })
export class GitDiffModel {
  @Field()
  from!: string;

  @Field(() => String, { nullable: true })
  to!: string | null;

  @Field()
  diff!: string;

  @Field({ description: 'True when the diff was cut at the manager’s size limit.' })
  truncated!: boolean;

  @Field(() => [String])
  binaryFiles!: string[];
}

@ObjectType('PreviewVisibility')
export class PreviewVisibilityModel {
  @Field()
  sessionId!: string;

  @Field(() => Int)
  port!: number;

  @Field()
  private!: boolean;

  @Field(() => String, { nullable: true, description: 'The new access token when the port was made private. Shown once: only its hash is kept.' })
  token!: string | null;
}
