import { Kafka, logLevel } from 'kafkajs';

/**
 * Delete every topic whose name starts with `prefix`, so repeated runs do not pile topics up
 * on a long-lived test broker (each one slows its restarts). Best effort: a failure here must
 * not fail the suite it tidies up after.
 */
export async function deleteTopicsWithPrefix(brokers: string, prefix: string): Promise<void> {
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
  } catch {
    // Leftover topics only cost disk space and restart time.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
