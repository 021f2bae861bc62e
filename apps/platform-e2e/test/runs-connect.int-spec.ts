import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { PipelineService, type WatchRunResponse } from '@sandbox/contracts/pipeline';
import { freePort, readStackEnv } from '@sandbox/testing';
import { GitHttpServer } from './support/git-server';
import { Platform } from './support/platform';

const FILES = {
  'README.md': '# demo\n',
  'package.json': JSON.stringify({ name: 'demo', version: '1.0.0', scripts: { test: 'node test.js' } }, null, 2),
  'test.js': "console.log('tests ok');\n",
};

async function watch(client: Client<typeof PipelineService>, key: string, runId: string, afterSeq = 0): Promise<WatchRunResponse[]> {
  const all: WatchRunResponse[] = [];
  for await (const event of client.watchRun({ runId, afterSeq }, { headers: { authorization: `Bearer ${key}` } })) all.push(event);
  return all;
}

/**
 * Runs over Connect end to end (docs/runs.md, Connect): the three services as processes, a sandbox
 * cloning from the git smart-HTTP server of runs-bootstrap.int-spec.ts; InitRun, WatchRun and StartRun
 * through a real Connect client on the gateway's port and a gRPC client on its h2c listener.
 */
describe('runs over Connect', () => {
  const git = new GitHttpServer('unused-token');
  let platform: Platform;
  let grpcPort: number;
  let connect: Client<typeof PipelineService>;
  let grpc: Client<typeof PipelineService>;

  beforeAll(async () => {
    await git.up(process.env.SANDBOX_SUBNET ?? readStackEnv().SANDBOX_SUBNET ?? '172.30.0.0/16');
    git.createRepository('public/demo.git', FILES);
    grpcPort = await freePort();
    platform = new Platform({ 'api-gateway': { CONNECT_GRPC_PORT: String(grpcPort) } });
    await platform.start();
    connect = createClient(PipelineService, createConnectTransport({ baseUrl: `${platform.gateway.url}/connect`, httpVersion: '1.1' }));
    grpc = createClient(PipelineService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${grpcPort}` }));
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await git.destroy();
  });

  it('should bootstrap a repository from InitRun and stream every event once, in seq order, to COMPLETE on both protocols', async () => {
    const auth = { headers: { authorization: `Bearer ${platform.apiKey}` } };
    const { sessionId, bootstrapRunId } = await connect.initRun({ repoUrl: git.url('public/demo.git') }, auth);
    // Watched from the start, while the run clones, installs and checkpoints.
    const live = await watch(connect, platform.apiKey, bootstrapRunId);
    expect(live.map((e) => e.seq)).toEqual(Array.from({ length: live.length }, (_, i) => i + 1));
    expect(live.filter((e) => e.type === 'COMPLETE' || e.type === 'ERROR').map((e) => e.type)).toEqual(['COMPLETE']);
    expect(live.at(-1)?.type).toBe('COMPLETE');
    expect(JSON.parse(live.at(-1)?.dataJson ?? 'null')).toMatchObject({ repoName: 'demo', ref: 'main', detected: ['node'] });
    expect(live.filter((e) => e.type === 'STEP').map((e) => e.message)).toEqual(['Step 1/3: clone', 'Step 2/3: install', 'Step 3/3: checkpoint']);

    // The same events over SSE, over gRPC, and from the middle over gRPC.
    const sse = await platform.watch(bootstrapRunId);
    expect(live.map((e) => ({ seq: e.seq, type: e.type, message: e.message, data: JSON.parse(e.dataJson) as unknown }))).toEqual(
      sse.map((m) => ({ seq: m.event.seq, type: m.event.type, message: m.event.message, data: m.event.data })),
    );
    const overGrpc = await watch(grpc, platform.apiKey, bootstrapRunId);
    expect(overGrpc).toEqual(live);
    const middle = Math.floor(live.length / 2);
    expect((await watch(grpc, platform.apiKey, bootstrapRunId, middle)).map((e) => e.seq)).toEqual(live.slice(middle).map((e) => e.seq));
    expect((await platform.exec(sessionId, 'cat /workspace/README.md')).stdout).toBe('# demo\n');

    // The next run, started over gRPC, runs the detected test command.
    const { runId } = await grpc.startRun({ sessionId, pipelineId: 'test' }, auth);
    const tested = await watch(connect, platform.apiKey, runId);
    expect(tested.at(-1)).toMatchObject({ type: 'COMPLETE' });
    expect(JSON.parse(tested.at(-1)?.dataJson ?? 'null')).toMatchObject({ passed: true, exitCode: 0 });

    const error = await connect.initRun({ repoUrl: 'file:///etc' }, auth).then(
      () => null,
      (reason: unknown) => ConnectError.from(reason),
    );
    expect({ code: error?.code, message: error?.rawMessage }).toEqual({ code: Code.InvalidArgument, message: 'Unsupported repository URL: file:///etc' });
  }, 240_000);
});
