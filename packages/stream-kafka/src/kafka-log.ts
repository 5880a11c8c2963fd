import { type LogEntry, logLevel } from 'kafkajs';

/**
 * kafkajs's console logging, minus one line: the Connection error it prints when a Fetch
 * asks for an offset that trimming or retention has removed. KafkaStream expects that answer
 * (it then moves the read to the earliest retained offset), so printing it as an ERROR would
 * only alarm people.
 */
export function quietKafkaLog(): (entry: LogEntry) => void {
  return ({ namespace, level, label, log }) => {
    const error = (log as { error?: unknown }).error;
    if (
      namespace === 'Connection' &&
      typeof log.message === 'string' &&
      log.message.startsWith('Response Fetch') &&
      typeof error === 'string' &&
      error.includes('not within the range of offsets')
    ) {
      return;
    }
    const line = JSON.stringify({
      level: label,
      ...log,
      message: `${namespace ? `[${namespace}] ` : ''}${log.message}`,
    });
    if (level === logLevel.ERROR) console.error(line);
    else if (level === logLevel.WARN) console.warn(line);
    else if (level === logLevel.INFO) console.info(line);
    else console.log(line);
  };
}
