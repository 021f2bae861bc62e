import { gql, wsClient } from '../support/gateway';
import { activeSession, GatewayWithManager, startGatewayWithManager } from '../support/real-manager';

type Event = { type: string; status: string | null; checkpoint: { description: string | null } | null };

/**
 * What a frontend does with a session, through GraphQL against the real container-manager: mutations
 * answer the state they produced, subscriptions start with a snapshot and end with the deletion, the
 * git timeline (status, diff and restore by short hash, labelled checkpoints) and preview settings.
 * Auto-commit is slowed down so that the checkpoints are the ones this test takes.
 */
describe('frontend operations (gateway + real container-manager)', () => {
  let stack: GatewayWithManager;
  let key: string;
  let id: string;

  const call = (query: string, variables?: Record<string, unknown>) => gql(stack.gateway, key, query, variables);

  beforeAll(async () => {
    stack = await startGatewayWithManager({}, { GIT_AUTOCOMMIT_DEBOUNCE_MS: '600000', GIT_AUTOCOMMIT_MAX_WAIT_MS: '600000' });
    ({ key } = await stack.gateway.newUser());
    id = await activeSession(stack, key);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('should answer stopSession with STOPPED and startSession with ACTIVE, not the status before', async () => {
    const stopped = await call('mutation($id: ID!) { stopSession(id: $id) { id status } }', { id });
    expect(stopped.errors).toBeUndefined();
    expect(stopped.data?.stopSession).toEqual({ id, status: 'STOPPED' });
    const started = await call('mutation($id: ID!) { startSession(id: $id) { id status } }', { id });
    expect(started.errors).toBeUndefined();
    expect(started.data?.startSession).toEqual({ id, status: 'ACTIVE' });
    expect(await stack.gateway.statusOf(id)).toBe('ACTIVE');
  });

  it('should label the current tree with commitCheckpoint(description) even when it was already checkpointed', async () => {
    await call('mutation($id: ID!) { writeFile(sessionId: $id, path: "app.txt", content: "v1\\n") }', { id });
    const plain = await call('mutation($id: ID!) { commitCheckpoint(sessionId: $id) { commitHash filesChanged } }', { id });
    expect(plain.data?.commitCheckpoint).toMatchObject({ filesChanged: 1 });
    expect((await call('mutation($id: ID!) { commitCheckpoint(sessionId: $id) { commitHash } }', { id })).data?.commitCheckpoint).toBeNull();
    const labelled = await call('mutation($id: ID!) { commitCheckpoint(sessionId: $id, description: "v1 works") { commitHash filesChanged description } }', { id });
    expect(labelled.errors).toBeUndefined();
    expect(labelled.data?.commitCheckpoint).toMatchObject({ filesChanged: 0, description: 'v1 works' });
    const listed = await call('query($id: ID!) { checkpoints(sessionId: $id, limit: 1) { commitHash description } }', { id });
    expect(listed.data?.checkpoints[0]).toEqual({ commitHash: labelled.data?.commitCheckpoint.commitHash, description: 'v1 works' });
  });

  it('should show git status and diffs, and restore, by short commit hashes', async () => {
    const base = (await call('query($id: ID!) { checkpoints(sessionId: $id, limit: 1) { commitHash } }', { id })).data?.checkpoints[0].commitHash as string;
    await call('mutation($id: ID!) { writeFile(sessionId: $id, path: "app.txt", content: "v2\\n") }', { id });
    const status = await call('query($id: ID!) { gitStatus(sessionId: $id) { clean head files { path workingDir } } }', { id });
    expect(status.errors).toBeUndefined();
    expect(status.data?.gitStatus).toEqual({ clean: false, head: base, files: [{ path: 'app.txt', workingDir: 'M' }] });

    const short = base.slice(0, 7);
    const toWorkspace = await call('query($id: ID!, $from: String!) { gitDiff(sessionId: $id, from: $from) { from to diff truncated binaryFiles } }', { id, from: short });
    expect(toWorkspace.errors).toBeUndefined();
    expect(toWorkspace.data?.gitDiff).toMatchObject({ from: base, to: null, truncated: false, binaryFiles: [] });
    expect(toWorkspace.data?.gitDiff.diff).toContain('-v1\n+v2');

    const next = (await call('mutation($id: ID!) { commitCheckpoint(sessionId: $id) { commitHash } }', { id })).data?.commitCheckpoint.commitHash as string;
    const between = await call('query($id: ID!, $from: String!, $to: String) { gitDiff(sessionId: $id, from: $from, to: $to) { from to diff } }', { id, from: short, to: next.slice(0, 10) });
    expect(between.data?.gitDiff).toMatchObject({ from: base, to: next });

    const unknown = await call('query($id: ID!) { gitDiff(sessionId: $id, from: "0000000") { diff } }', { id });
    expect(unknown.errors?.[0]).toMatchObject({ message: `Checkpoint 0000000 not found in session ${id}`, extensions: { code: 'NOT_FOUND' } });
    const malformed = await call('query($id: ID!) { gitDiff(sessionId: $id, from: "xyz") { diff } }', { id });
    expect(malformed.errors?.[0].extensions?.code).toBe('BAD_REQUEST');

    const restored = await call('mutation($id: ID!, $hash: String!) { restoreCheckpoint(sessionId: $id, commitHash: $hash) { commitHash } }', { id, hash: short });
    expect(restored.errors).toBeUndefined();
    expect((await call('query($id: ID!) { readFile(sessionId: $id, path: "app.txt") }', { id })).data?.readFile).toBe('v1\n');
  });

  it('should make a preview private (token returned once), public again, and unregister it', async () => {
    expect((await call('mutation($id: ID!) { registerPreview(sessionId: $id, port: 3000) { port private } }', { id })).data?.registerPreview).toEqual({ port: 3000, private: false });
    const made = await call('mutation($id: ID!) { setPreviewPrivate(sessionId: $id, port: 3000, private: true) { port private token } }', { id });
    expect(made.errors).toBeUndefined();
    expect(made.data?.setPreviewPrivate).toEqual({ port: 3000, private: true, token: expect.stringMatching(/^[A-Za-z0-9_-]{40,}$/) });
    expect((await call('query($id: ID!) { previews(sessionId: $id) { port private } }', { id })).data?.previews).toEqual([{ port: 3000, private: true }]);
    const opened = await call('mutation($id: ID!) { setPreviewPrivate(sessionId: $id, port: 3000, private: false) { private token } }', { id });
    expect(opened.data?.setPreviewPrivate).toEqual({ private: false, token: null });
    expect((await call('mutation($id: ID!) { unregisterPreview(sessionId: $id, port: 3000) }', { id })).data?.unregisterPreview).toBe(true);
    expect((await call('query($id: ID!) { previews(sessionId: $id) { port } }', { id })).data?.previews).toEqual([]);
    const again = await call('mutation($id: ID!) { unregisterPreview(sessionId: $id, port: 3000) }', { id });
    expect(again.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('should start a subscription with a snapshot, deliver every status change and end with the deletion', async () => {
    const client = wsClient(stack.gateway, key);
    const events: Event[] = [];
    let snapshot!: () => void;
    const first = new Promise<void>((resolve) => (snapshot = resolve));
    const completed = new Promise<void>((resolve, reject) => {
      client.subscribe<{ sessionEvents: Event }>(
        { query: 'subscription($id: ID!) { sessionEvents(sessionId: $id) { type status checkpoint { description } } }', variables: { id } },
        {
          next: (value) => {
            events.push(value.data!.sessionEvents);
            if (events.length === 1) snapshot();
          },
          error: reject,
          complete: resolve,
        },
      );
    });
    try {
      await first;
      expect(events[0]).toEqual({ type: 'SNAPSHOT', status: 'ACTIVE', checkpoint: null });
      expect((await call('mutation($id: ID!) { stopSession(id: $id) { status } }', { id })).data?.stopSession.status).toBe('STOPPED');
      expect((await call('mutation($id: ID!) { startSession(id: $id) { status } }', { id })).data?.startSession.status).toBe('ACTIVE');
      expect((await call('mutation($id: ID!) { deleteSession(id: $id) }', { id })).data?.deleteSession).toBe(true);
      await completed;
      expect(events.map((event) => [event.type, event.status])).toEqual([
        ['SNAPSHOT', 'ACTIVE'],
        ['STATUS_CHANGED', 'STOPPED'],
        ['STATUS_CHANGED', 'ACTIVE'],
        ['DELETED', null],
      ]);
      const gone = await call('query($id: ID!) { session(id: $id) { id } }', { id });
      expect(gone.errors?.[0]).toMatchObject({ message: `Session ${id} not found`, extensions: { code: 'NOT_FOUND' } });
    } finally {
      await client.dispose();
    }
  });
});
