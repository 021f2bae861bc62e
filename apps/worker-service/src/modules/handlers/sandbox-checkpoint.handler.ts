import { Injectable } from '@nestjs/common';
import { IsInt, IsOptional, IsString, MaxLength, Min } from 'class-validator';
import { ContainerManagerClient } from '@sandbox/clients';
import { CommitResponse, IsSessionId, TaskType } from '@sandbox/contracts';
import { callManager } from './manager-errors';
import { abortable, TaskContext, ValidatedTaskHandler } from './task-handler';

export class SandboxCheckpointPayload {
  @IsSessionId()
  sessionId!: string;

  @IsOptional()
  @IsString()
  @MaxLength(1_000)
  description?: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  messageNumber?: number;
}

/** Takes a git checkpoint of a session's workspace (`{ committed: false }` when nothing changed). */
@Injectable()
export class SandboxCheckpointHandler extends ValidatedTaskHandler<SandboxCheckpointPayload> {
  constructor(private readonly manager: ContainerManagerClient) {
    super(TaskType.SandboxCheckpoint, SandboxCheckpointPayload);
  }

  async run(payload: SandboxCheckpointPayload, context: TaskContext): Promise<{ sessionId: string; checkpoint: CommitResponse }> {
    const { sessionId, description, messageNumber } = payload;
    // No default description: the manager labels a described commit even when nothing changed, while an
    // undescribed one of an unchanged tree is a no-op, so a scheduled checkpoint of an idle session adds
    // nothing. The stored step keeps the first answer, the one that carries the commit.
    const checkpoint = await context.once('commit', () =>
      abortable(callManager('checkpoint', () => this.manager.commit(sessionId, { description, messageNumber })), context.signal),
    );
    await context.log('commitHash' in checkpoint ? `checkpoint ${checkpoint.commitHash}` : 'nothing to commit');
    return { sessionId, checkpoint };
  }
}
