// The pack check: every public package packs with only its own files (dist without source
// maps, README, CHANGELOG once written, LICENSE, package.json), and installing
// @tiercache/core with one adapter into an empty project pulls in that adapter's client
// library and no other adapter's. Run after `pnpm build`.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'tiercache-pack-'));
const tarballs = new Map();
const problems = [];

const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

for (const dir of readdirSync(join(root, 'packages'))) {
  const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
  if (manifest.private) continue;
  run('pnpm', ['pack', '--pack-destination', work], join(root, 'packages', dir));
  const file = join(work, `${manifest.name.replace('@', '').replace('/', '-')}-${manifest.version}.tgz`);
  if (!existsSync(file)) {
    problems.push(`${manifest.name}: pnpm pack did not produce ${file}`);
    continue;
  }
  tarballs.set(manifest.name, file);
  const files = run('tar', ['tzf', file], work).trim().split('\n');
  const foreign = files.filter(
    (f) => !/^package\/(package\.json|README\.md|CHANGELOG\.md|LICENSE|dist\/.+)$/.test(f),
  );
  if (foreign.length > 0)
    problems.push(`${manifest.name} packs files that are not its own build: ${foreign.join(', ')}`);
  for (const needed of [
    'package/dist/index.js',
    'package/dist/index.d.ts',
    'package/README.md',
    'package/LICENSE',
  ]) {
    if (!files.includes(needed)) problems.push(`${manifest.name} does not pack ${needed}`);
  }
  // Release notes ship with the code once `changeset version` has written them.
  if (existsSync(join(root, 'packages', dir, 'CHANGELOG.md')) && !files.includes('package/CHANGELOG.md'))
    problems.push(`${manifest.name} does not pack its CHANGELOG.md`);
  if (files.some((f) => f.endsWith('.map')))
    problems.push(`${manifest.name} packs source maps whose sources are not in the tarball`);
  const packed = JSON.parse(run('tar', ['xzf', file, '-O', 'package/package.json'], work));
  const deps = { ...packed.dependencies, ...packed.peerDependencies };
  for (const [name, range] of Object.entries(deps)) {
    if (String(range).startsWith('workspace:'))
      problems.push(`${manifest.name}: ${name} still says ${range} when packed`);
  }
  console.log(`pack: ${manifest.name} ok (${files.length} files)`);
}

const clients = {
  ioredis: '@tiercache/l2-redis',
  memjs: '@tiercache/l2-memcached',
  kafkajs: '@tiercache/stream-kafka',
};
const installs = [
  ['@tiercache/l1-lru', []],
  ['@tiercache/l2-redis', ['ioredis']],
  ['@tiercache/l2-memcached', ['memjs']],
  ['@tiercache/stream-kafka', ['kafkajs']],
];
for (const [adapter, expected] of installs) {
  const project = join(work, `install-${adapter.split('/')[1]}`);
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'empty-project', private: true, type: 'module' }),
  );
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      tarballs.get('@tiercache/core'),
      tarballs.get(adapter),
    ],
    project,
  );
  for (const [client, owner] of Object.entries(clients)) {
    const present = existsSync(join(project, 'node_modules', client));
    if (present && !expected.includes(client))
      problems.push(`core + ${adapter} installs ${client} (the client of ${owner})`);
    if (!present && expected.includes(client)) problems.push(`core + ${adapter} does not install ${client}`);
  }
  // The installed packages load in plain Node as ESM.
  run(
    'node',
    ['--input-type=module', '-e', `await import('@tiercache/core'); await import('${adapter}');`],
    project,
  );
  console.log(
    `install: @tiercache/core + ${adapter} brings ${expected.length ? expected.join(', ') : 'no client library'}, and nothing of the other adapters`,
  );
}

rmSync(work, { recursive: true, force: true });
if (problems.length > 0) {
  console.error(`pack check FAILED:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log('pack check: ok');
