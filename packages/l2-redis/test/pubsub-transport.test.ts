import { randomUUID } from 'node:crypto';
import type { BusTransportStatus } from '@tiercache/core';
import { eventually, requireServer } from '@tiercache/test-kit';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisPubSubTransport } from '../src/index.js';
import { adminClient } from './redis-server.js';

const url = await requireServer('redis');

/** Server-side clients named `name`, as parsed CLIENT LIST lines. */
async function clientsNamed(admin: Redis, name: string): Promise<Record<string, string>[]> {
  const list = String(await admin.client('LIST'));
  return list
    .split('\n')
    .filter((line) => line.includes(` name=${name} `))
    .map((line) => Object.fromEntries(line.split(' ').map((kv) => kv.split('=') as [string, string])));
}

describe.skipIf(!url)('RedisPubSubTransport against a real Redis', () => {
  const redisUrl = url ?? '';
  const admin = adminClient(redisUrl);
  const opened: RedisPubSubTransport[] = [];
  function transport(name = `tc-ps-${randomUUID().slice(0, 8)}`): RedisPubSubTransport {
    const t = new RedisPubSubTransport({ url: redisUrl, redis: { connectionName: name } });
    opened.push(t);
    return t;
  }

  afterAll(async () => {
    await Promise.all(opened.map((t) => t.close()));
    admin.disconnect();
  });

  it('delivers a published message to every subscriber of the channel, the publisher included', async () => {
    const channel = `tc-ch-${randomUUID()}`;
    const a = transport();
    const b = transport();
    const gotA: string[] = [];
    const gotB: string[] = [];
    await a.subscribe(channel, (m) => gotA.push(m));
    await b.subscribe(channel, (m) => gotB.push(m));
    await b.subscribe(`${channel}-other`, () => gotB.push('wrong channel'));
    await a.publish(channel, 'hello');
    await eventually(() => gotA.length === 1 && gotB.length === 1, {
      message: 'the message did not reach both subscribers',
    });
    expect(gotA).toStrictEqual(['hello']);
    expect(gotB).toStrictEqual(['hello']);
    expect(a.name).toBe('redis-pubsub');
  });

  it('a second subscribe to a channel resolves only once the server has the subscription', async () => {
    const channel = `tc-ch-${randomUUID()}`;
    const t = transport();
    const got: string[] = [];
    const first = t.subscribe(channel, (m) => got.push(`a:${m}`));
    await t.subscribe(channel, (m) => got.push(`b:${m}`));
    // PUBLISH answers how many connections received the message.
    await expect(admin.publish(channel, 'm')).resolves.toBe(1);
    await first;
    await eventually(() => got.length === 2, { message: 'both handlers should get the message' });
    expect(got.sort()).toStrictEqual(['a:m', 'b:m']);
  });

  it('reports disconnected, then connected once resubscribed, after CLIENT KILL of its subscriber', async () => {
    const name = `tc-ps-kill-${randomUUID().slice(0, 8)}`;
    const channel = `tc-ch-${randomUUID()}`;
    const listener = transport(name);
    const publisher = transport();
    const got: string[] = [];
    const statuses: BusTransportStatus['kind'][] = [];
    await listener.subscribe(
      channel,
      (m) => got.push(m),
      (s) => statuses.push(s.kind),
    );
    await publisher.publish(channel, 'before');
    await eventually(() => got.includes('before'), { message: 'no delivery before the kill' });

    const subscribers = (await clientsNamed(admin, name)).filter((c) => c.sub !== '0');
    expect(subscribers).toHaveLength(1);
    await admin.client('KILL', 'ID', subscribers[0]!.id!);

    await eventually(() => statuses.includes('connected'), {
      message: 'the transport never reported it was back',
    });
    expect(statuses).toStrictEqual(['disconnected', 'connected']);
    await publisher.publish(channel, 'after');
    await eventually(() => got.includes('after'), {
      message: 'no delivery after the reconnect: not resubscribed',
    });
    expect(got).toStrictEqual(['before', 'after']);
  });

  it('close() releases both of its connections', async () => {
    const name = `tc-ps-close-${randomUUID().slice(0, 8)}`;
    const t = transport(name);
    await t.subscribe(`tc-ch-${randomUUID()}`, () => undefined);
    await t.publish('tc-nobody', 'x');
    expect(await clientsNamed(admin, name)).toHaveLength(2);
    await t.close();
    await eventually(async () => (await clientsNamed(admin, name)).length === 0, {
      message: 'connections left open after close',
    });
    await expect(t.publish('c', 'm')).rejects.toMatchObject({ code: 'TIERCACHE_CLOSED' });
  });

  it('given a client, subscribes on a duplicate and leaves the client open on close()', async () => {
    const client = new Redis(redisUrl);
    const t = new RedisPubSubTransport({ client });
    const channel = `tc-ch-${randomUUID()}`;
    const got: string[] = [];
    await t.subscribe(channel, (m) => got.push(m));
    await client.publish(channel, 'via shared client');
    await eventually(() => got.length === 1, { message: 'no delivery' });
    await t.close();
    await expect(client.ping()).resolves.toBe('PONG');
    client.disconnect();
  });
});
