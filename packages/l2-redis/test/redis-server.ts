import { eventually } from '@tiercache/test-kit';
import { Redis } from 'ioredis';

/** A connection for inspecting the server around the code under test. */
export function adminClient(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1 });
}

/** Addresses (`ip:port`) of the server-side clients named `connectionName`. */
export async function clientAddresses(admin: Redis, connectionName: string): Promise<Set<string>> {
  const list = String(await admin.client('LIST'));
  return new Set(
    list
      .split('\n')
      .filter((line) => line.includes(` name=${connectionName} `))
      .map((line) => /addr=(\S+)/.exec(line)?.[1] ?? ''),
  );
}

/**
 * Record, with MONITOR on a separate connection, every command the server runs for clients
 * named `connectionName` (they must be connected already). `stop()` resolves the commands
 * (lower-cased name first) seen up to that moment.
 */
export async function recordCommands(url: string, connectionName: string) {
  const admin = adminClient(url);
  const sources = await clientAddresses(admin, connectionName);
  if (sources.size === 0) throw new Error(`no client named ${connectionName} is connected`);
  // ioredis' monitor() opens its own connection. Calling it on a duplicate left that duplicate
  // open, and its ready-check INFO could reach the MONITOR feed before MONITOR's own reply
  // ("Command queue state error" in CI on Node 24).
  const monitor = await admin.monitor();
  const seen: string[][] = [];
  const markers = new Set<string>();
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (sources.has(source)) seen.push([String(args[0]).toLowerCase(), ...args.slice(1)]);
    else if (args[0]?.toLowerCase() === 'echo') markers.add(String(args[1]));
  });
  // MONITOR output is asynchronous: an ECHO seen on the feed proves everything the server ran
  // before it has been recorded.
  const sync = async (): Promise<void> => {
    const marker = `marker-${Math.random()}`;
    await eventually(
      async () => {
        await admin.echo(marker);
        return markers.has(marker);
      },
      { message: 'MONITOR did not report the marker command' },
    );
  };
  await sync();
  return {
    async stop(): Promise<string[][]> {
      await sync();
      monitor.disconnect();
      admin.disconnect();
      return seen;
    },
  };
}
