import { Field, Float, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

@ObjectType('ExecResult')
export class ExecResultModel {
  @Field(() => Int, { nullable: true, description: 'Null when the command was killed (timeout).' })
  exitCode!: number | null;

  @Field()
  stdout!: string;

  @Field()
  stderr!: string;

  @Field()
  timedOut!: boolean;

  @Field(() => Float)
  durationMs!: number;

  @Field({ description: 'Output was cut at the manager limit.' })
  truncated!: boolean;
}

export enum FileType {
  FILE = 'file',
  DIR = 'dir',
  SYMLINK = 'symlink',
}
registerEnumType(FileType, { name: 'FileType' });

export enum FileEncoding {
  UTF8 = 'utf8',
  BASE64 = 'base64',
}
registerEnumType(FileEncoding, { name: 'FileEncoding' });

@ObjectType('FileEntry')
export class FileEntryModel {
  @Field()
  name!: string;

  @Field()
  path!: string;

  @Field(() => FileType)
  type!: FileType;

  @Field(() => Float)
  size!: number;

  @Field()
  mtime!: string;
}

@ObjectType('Preview')
export class PreviewModel {
  @Field()
  sessionId!: string;

  @Field(() => Int)
  port!: number;

  @Field()
  url!: string;

  @Field({ description: 'A private port answers only requests with its token (setPreviewPrivate).' })
  private!: boolean;
}
