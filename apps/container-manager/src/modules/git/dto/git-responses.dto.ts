import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { CheckpointPage, GitCheckpoint, GitDiff, GitStatus, GitStatusEntry } from '@sandbox/contracts';

export class SkippedFileDto {
  @ApiProperty() path!: string;
  @ApiProperty({ description: 'Bytes.' }) size!: number;
}

export class GitCheckpointDto implements GitCheckpoint {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) sessionId!: string;
  @ApiProperty({ example: '3f1c0d6e9b5a4c2e8f7d6c5b4a3f2e1d0c9b8a7f' }) commitHash!: string;
  @ApiProperty({ minimum: 0, description: 'Files that differ from the previous checkpoint.' }) filesChanged!: number;
  @ApiProperty({ type: Number, nullable: true }) messageNumber!: number | null;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiPropertyOptional({ type: [SkippedFileDto], description: 'Files left out of this checkpoint for being larger than GIT_CHECKPOINT_MAX_FILE_MB (present only when some were).' })
  skippedFiles?: SkippedFileDto[];
}

export class NotCommittedDto {
  @ApiProperty({ enum: [false] }) committed!: false;
}

export class CheckpointPageDto implements CheckpointPage {
  @ApiProperty({ type: [GitCheckpointDto], description: 'Newest first.' }) checkpoints!: GitCheckpointDto[];
  @ApiProperty() total!: number;
}

export class GitStatusEntryDto implements GitStatusEntry {
  @ApiProperty() path!: string;
  @ApiProperty({ description: 'Index vs last checkpoint (porcelain letter, space when unchanged, ? untracked).' }) index!: string;
  @ApiProperty({ description: 'Workspace vs index (porcelain letter, space when unchanged, ? untracked).' }) workingDir!: string;
}

export class GitStatusDto implements GitStatus {
  @ApiProperty() clean!: boolean;
  @ApiProperty({ type: String, nullable: true }) head!: string | null;
  @ApiProperty({ type: [GitStatusEntryDto] }) files!: GitStatusEntryDto[];
}

export class GitDiffDto implements GitDiff {
  @ApiProperty() from!: string;
  @ApiProperty({ type: String, nullable: true, description: 'null: the workspace as it is now.' }) to!: string | null;
  @ApiProperty({ description: 'Unified diff, cut at GIT_DIFF_MAX_BYTES on a line boundary.' }) diff!: string;
  @ApiProperty() truncated!: boolean;
  @ApiProperty({ type: [String], description: 'Files whose content differs but is binary (or above 16 MiB).' }) binaryFiles!: string[];
}
