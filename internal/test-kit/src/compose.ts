import {
  DESCRIPTORS,
  kafkaContainerEnvironment,
  SERVER_ENV,
  SERVER_KINDS,
  type ServerDescriptor,
} from './servers.js';

/** A YAML scalar in double quotes (JSON strings are valid YAML). */
const quote = (text: string): string => JSON.stringify(text);

/** The command a container of `descriptor` runs: its program and the shared flags. */
export function containerCommand(descriptor: ServerDescriptor): string[] | undefined {
  return descriptor.program === undefined ? undefined : [descriptor.program, ...descriptor.flags];
}

function service(descriptor: ServerDescriptor): string[] {
  const port = descriptor.containerPort;
  const lines = [`  ${descriptor.kind}:`, `    image: ${descriptor.image}`];
  const command = containerCommand(descriptor);
  if (command) lines.push(`    command: [${command.map(quote).join(', ')}]`);
  lines.push('    ports:', `      - ${quote(`127.0.0.1:${port}:${port}`)}`);
  if (descriptor.kind === 'kafka') {
    lines.push('    environment:');
    for (const [name, value] of Object.entries(kafkaContainerEnvironment(port)))
      lines.push(`      ${name}: ${quote(value)}`);
  }
  return lines;
}

/**
 * docker-compose.test.yml, made from the same descriptors as the native and container servers
 * (a test fails when the committed file differs: regenerate it with
 * `bash scripts/services/cli.sh compose > docker-compose.test.yml`).
 */
export function renderCompose(): string {
  const exports = SERVER_KINDS.map((kind) => {
    const { url, containerPort } = DESCRIPTORS[kind];
    return `${SERVER_ENV[kind]}=${url('127.0.0.1', containerPort)}`;
  });
  return [
    '# The test servers for people who have Docker (CI and these dev machines run them as native',
    '# processes with scripts/services/ instead). Everything binds to loopback only.',
    '# Generated from internal/test-kit/src/servers.ts: do not edit; regenerate with',
    '#   bash scripts/services/cli.sh compose > docker-compose.test.yml',
    '#',
    '#   docker compose -f docker-compose.test.yml up -d',
    `#   export ${exports.join(' ')}`,
    '#   pnpm exec vitest run',
    'services:',
    ...SERVER_KINDS.flatMap((kind, i) => [...(i > 0 ? [''] : []), ...service(DESCRIPTORS[kind])]),
    '',
  ].join('\n');
}
