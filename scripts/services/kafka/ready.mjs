// Waits until a Kafka client can list topics on the broker, or fails after a bounded wait.
// Usage: node ready.mjs <repo-root> <host:port> <broker-pid> <timeout-seconds>
// Exit 0 = the broker answers; 1 = it did not within the timeout; 2 = its process died.
// kafkajs is resolved from packages/stream-kafka so the script needs no install of its own.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [root, broker, pidText, timeoutText] = process.argv.slice(2);
const pid = Number(pidText);
const deadline = Date.now() + Number(timeoutText) * 1000;
const require = createRequire(join(root, 'packages', 'stream-kafka', 'package.json'));
const { Kafka, logLevel } = require('kafkajs');

function alive() {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let lastError = 'no attempt finished';
while (Date.now() < deadline) {
  if (!alive()) {
    console.error(`kafka: broker process ${pid} exited during start-up`);
    process.exit(2);
  }
  const kafka = new Kafka({
    clientId: 'tiercache-services-ready',
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    await admin.disconnect();
    process.exit(0);
  } catch (error) {
    lastError = error instanceof Error ? error.message : String(error);
    await admin.disconnect().catch(() => {});
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
}
console.error(
  `kafka: broker at ${broker} did not list topics within ${timeoutText}s (last error: ${lastError})`,
);
process.exit(1);
