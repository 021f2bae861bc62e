import { ApiProperty } from '@nestjs/swagger';
import type { Preview, PreviewList } from '@sandbox/contracts';

export class PreviewDto implements Preview {
  @ApiProperty({ format: 'uuid' }) sessionId!: string;
  @ApiProperty() port!: number;
  @ApiProperty({ enum: [true] }) registered!: true;
  @ApiProperty({ example: 'http://3000-3f1c….preview.localhost:4002/' }) url!: string;
  @ApiProperty({ description: 'Private ports answer only requests with their current token.' }) private!: boolean;
}

export class PreviewListDto implements PreviewList {
  @ApiProperty({ format: 'uuid' }) sessionId!: string;
  @ApiProperty({ type: [PreviewDto] }) previews!: PreviewDto[];
}

export class UnregisteredPreviewDto {
  @ApiProperty({ format: 'uuid' }) sessionId!: string;
  @ApiProperty() port!: number;
  @ApiProperty({ enum: [false] }) registered!: false;
}

export class PreviewTokenDto {
  @ApiProperty({ format: 'uuid' }) sessionId!: string;
  @ApiProperty() port!: number;
  @ApiProperty({ description: 'Send as X-Preview-Token, ?preview_token= or the sandbox_preview_token cookie. Shown once.' }) token!: string;
}

export class PublicPreviewDto {
  @ApiProperty({ format: 'uuid' }) sessionId!: string;
  @ApiProperty() port!: number;
  @ApiProperty({ enum: [false] }) private!: false;
}

export class RevokedPreviewTokenDto {
  @ApiProperty({ format: 'uuid' }) sessionId!: string;
  @ApiProperty() port!: number;
  @ApiProperty({ enum: [true] }) revoked!: true;
}
