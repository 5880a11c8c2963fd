import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderCompose } from '../src/compose.js';

describe('docker-compose.test.yml', () => {
  it('is what the server descriptors make (images, ports, flags, Kafka settings)', () => {
    const committed = readFileSync(new URL('../../../docker-compose.test.yml', import.meta.url), 'utf8');
    expect(
      committed,
      'docker-compose.test.yml drifted from internal/test-kit/src/servers.ts: run "bash scripts/services/cli.sh compose > docker-compose.test.yml"',
    ).toBe(renderCompose());
  });
});
