import type { Client } from 'graphql-ws';
import { ApiKeysService } from '../src/modules/auth/api-keys.service';
import { SessionEventsService } from '../src/modules/sessions/session-events.service';
import { gql, startGateway, TestGateway, wsClient } from './support/gateway';

const REVOKE = 'mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }';
const CREATE_KEY = 'mutation($name: String!) { createApiKey(name: $name) { key apiKey { id } } }';

interface Subscription {
  client: Client;
  /** Settles when the subscription ends: how it ended (a close code, an error message, or "complete"). */
  ended: Promise<string>;
}

/** Polls until `predicate` holds (bounded), for effects that happen after a response. */
async function eventually<T>(read: () => Promise<T> | T, predicate: (value: T) => boolean, attempts = 100): Promise<T> {
  let value = await read();
  for (let i = 0; i < attempts && !predicate(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

describe(`${ApiKeysService.name} revocation`, () => {
  let gateway: TestGateway;
  let bus: SessionEventsService;

  beforeAll(async () => {
    gateway = await startGateway();
    bus = gateway.app.get(SessionEventsService);
  });

  afterAll(async () => {
    await gateway.close();
  });

  function subscribe(key: string, sessionId: string): Subscription {
    const client = wsClient(gateway, key);
    const ended = new Promise<string>((resolve) => {
      client.subscribe(
        { query: 'subscription($id: ID!) { sessionEvents(sessionId: $id) { type } }', variables: { id: sessionId } },
        {
          next: () => undefined,
          error: (error: unknown) => {
            const code = (error as { code?: unknown }).code;
            resolve(typeof code === 'number' ? `close ${code} ${(error as { reason?: string }).reason ?? ''}` : String((error as Error).message ?? error));
          },
          complete: () => resolve('complete'),
        },
      );
    });
    return { client, ended };
  }

  it("should close the revoked key's open subscriptions at once, refuse new ones, and leave other keys' open", async () => {
    const user = await gateway.newUser();
    // A second key of the same user, which does the revoking and whose subscription must survive.
    const second = await gql(gateway, user.key, CREATE_KEY, { name: 'second' });
    const secondKey: string = second.data?.createApiKey.key;
    const other = await gateway.newUser();
    const own = await gateway.insertSession(user.userId, 'ACTIVE');
    const others = await gateway.insertSession(other.userId, 'ACTIVE');
    const keys = await gql<{ apiKeys: { id: string; prefix: string }[] }>(gateway, user.key, '{ apiKeys { id prefix } }');
    const firstKeyId = keys.data?.apiKeys.find((k) => user.key.startsWith(k.prefix))?.id;

    const revoked = [subscribe(user.key, own), subscribe(user.key, own)];
    const kept = [subscribe(secondKey, own), subscribe(other.key, others)];
    expect(await eventually(() => bus.listenerCount(own) + bus.listenerCount(others), (n) => n === 4)).toBe(4);
    let keptEnded = false;
    for (const subscription of kept) void subscription.ended.then(() => (keptEnded = true));

    const res = await gql(gateway, secondKey, REVOKE, { id: firstKeyId });
    expect(res.data?.revokeApiKey).toMatchObject({ id: firstKeyId, revokedAt: expect.any(String) });
    for (const subscription of revoked) expect(await subscription.ended).toMatch(/^close 4403 Forbidden/);
    expect(await eventually(() => bus.listenerCount(own), (n) => n === 1)).toBe(1);

    const again = subscribe(user.key, own);
    expect(await again.ended).toMatch(/^close 4403/);

    expect(keptEnded).toBe(false);
    expect(bus.listenerCount(others)).toBe(1);
    for (const subscription of [...revoked, ...kept, again]) await subscription.client.dispose();
  });

  it('should close the subscriptions of a key revoked by itself', async () => {
    const user = await gateway.newUser();
    const session = await gateway.insertSession(user.userId, 'ACTIVE');
    const keys = await gql(gateway, user.key, '{ apiKeys { id } }');
    const subscription = subscribe(user.key, session);
    expect(await eventually(() => bus.listenerCount(session), (n) => n === 1)).toBe(1);
    expect((await gql(gateway, user.key, REVOKE, { id: keys.data?.apiKeys[0].id })).status).toBe(200);
    expect(await subscription.ended).toMatch(/^close 4403/);
    expect(await eventually(() => bus.listenerCount(session), (n) => n === 0)).toBe(0);
    await subscription.client.dispose();
  });
});
