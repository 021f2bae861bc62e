import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RunsModule } from '../runs/runs.module';
import { ConnectGrpcServer } from './connect-grpc.server';
import { ConnectRoutes } from './connect-routes';
import { PipelineConnectService } from './pipeline.connect';

/** Runs over Connect (docs/runs.md, Connect): `/connect` on the HTTP port (mountConnect) and the h2c listener for gRPC. */
@Module({
  imports: [AuthModule, RunsModule],
  providers: [PipelineConnectService, ConnectRoutes, ConnectGrpcServer],
  exports: [ConnectRoutes, ConnectGrpcServer],
})
export class ConnectModule {}
