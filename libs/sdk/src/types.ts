import type {
  CheckpointFieldsFragment,
  CommandFieldsFragment,
  CommandOutputSubscription,
  ExecResultFieldsFragment,
  FileEntryFieldsFragment,
  GitDiffQuery,
  GitStatusQuery,
  JobFieldsFragment,
  PipelinesQuery,
  PreviewFieldsFragment,
  RunEventFieldsFragment,
  RunFieldsFragment,
  SessionEventsSubscription,
  SessionFieldsFragment,
  SessionUsageFieldsFragment,
  SetPreviewPrivateMutation,
  TaskEventsSubscription,
  TaskFieldsFragment,
  TemplateFieldsFragment,
} from './generated/graphql.js';

/** The platform's objects as the SDK returns them: the generated fragment types, named for users. */
export type Session = SessionFieldsFragment;
export type SessionUsage = SessionUsageFieldsFragment;
export type SessionEvent = SessionEventsSubscription['sessionEvents'];
export type Checkpoint = CheckpointFieldsFragment;
export type Command = CommandFieldsFragment;
export type CommandOutputEvent = CommandOutputSubscription['commandOutput'];
export type FileEntry = FileEntryFieldsFragment;
export type ExecResult = ExecResultFieldsFragment;
export type Preview = PreviewFieldsFragment;
export type Task = TaskFieldsFragment;
export type TaskEvent = TaskEventsSubscription['taskEvents'];
export type Job = JobFieldsFragment;
export type Template = TemplateFieldsFragment;
export type Run = RunFieldsFragment;
export type RunEvent = RunEventFieldsFragment;
export type Pipeline = PipelinesQuery['pipelines'][number];
export type GitStatus = GitStatusQuery['gitStatus'];
export type GitDiff = GitDiffQuery['gitDiff'];
export type PreviewVisibility = SetPreviewPrivateMutation['setPreviewPrivate'];
