import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { requireStackVar } from '@sandbox/testing';
import { AgentCode, encodeFrame, Frame, FrameDecoder, FrameType } from '../../repositories/sandbox-agent/agent-protocol';
import { GIT_HOST_FLAG } from './git-host';

/** The agent binary in its git host mode, spoken to over its stdio as GitHost does (no namespace: the protocol only). */
describe(`sandbox-agent ${GIT_HOST_FLAG}`, () => {
  let agent: ChildProcessWithoutNullStreams;
  const answers = new Map<number, Frame[]>();
  const waiters = new Map<number, () => void>();

  /** Sends one request on `channel` and waits for the frame that ends it (OK, ERR or EXIT). */
  function request(channel: number, type: number, payload: object, ends: (frame: Frame) => boolean): Promise<Frame[]> {
    return new Promise((resolve) => {
      waiters.set(channel, () => {
        const frames = answers.get(channel) ?? [];
        if (frames.some(ends)) resolve(frames);
      });
      agent.stdin.write(encodeFrame(type, channel, payload));
    });
  }
  const body = (frame: Frame) => JSON.parse(frame.payload.toString('utf8')) as Record<string, unknown>;

  beforeAll(() => {
    agent = spawn(requireStackVar('SANDBOX_AGENT_BINARY'), [GIT_HOST_FLAG], { env: {}, stdio: 'pipe' });
    const decoder = new FrameDecoder();
    agent.stdout.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        answers.set(frame.channel, [...(answers.get(frame.channel) ?? []), frame]);
        waiters.get(frame.channel)?.();
      }
    });
  });

  afterAll(() => {
    agent.kill('SIGKILL');
  });

  it('should run an exec with exactly the environment it is given, and answer pings, with no hello first', async () => {
    expect((await request(1, FrameType.Ping, {}, (frame) => frame.type === FrameType.Ok)).map((frame) => frame.type)).toEqual([FrameType.Ok]);
    const frames = await request(2, FrameType.Start, { proc: 'env', argv: ['env'], cwd: '/', env: { PATH: '/usr/bin:/bin', ONLY: 'this' }, attach: true, exec: true }, (frame) => frame.type === FrameType.Exit);
    const stdout = Buffer.concat(frames.filter((frame) => frame.type === FrameType.Stdout).map((frame) => frame.payload.subarray(8))).toString('utf8');
    expect(stdout.trim().split('\n').sort()).toEqual(['ONLY=this', 'PATH=/usr/bin:/bin']);
    expect(body(frames[frames.length - 1])).toMatchObject({ exitCode: 0 });
  });

  it('should refuse file operations, watches, rekeys, background commands and terminals', async () => {
    const refused = [
      [FrameType.File, { op: 'read', path: '/etc/hostname' }],
      [FrameType.File, { op: 'list', path: '/' }],
      [FrameType.Watch, { path: '.', recursive: true }],
      [FrameType.Rekey, { token: 'x' }],
      [FrameType.List, {}],
      [FrameType.Start, { proc: 'background', argv: ['sleep', '60'], cwd: '/', env: { PATH: '/usr/bin' }, attach: true, exec: false, ringBytes: 1024 }],
      [FrameType.Start, { proc: 'terminal', argv: ['sh'], cwd: '/', env: { PATH: '/usr/bin' }, attach: true, exec: true, pty: { cols: 80, rows: 24 } }],
    ] as const;
    for (const [index, [type, payload]] of refused.entries()) {
      const frames = await request(10 + index, type, payload, (frame) => frame.type === FrameType.Ok || frame.type === FrameType.Err);
      expect(frames.map((frame) => [frame.type, body(frame).code])).toEqual([[FrameType.Err, AgentCode.BadRequest]]);
    }
  });
});
