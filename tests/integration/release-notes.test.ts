import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Until the first release, the changesets are the first CHANGELOG of every package: one note per
 * package, `.changeset/first-release-<dir>.md`, naming that package only and saying what it
 * offers. A change to an unreleased feature is folded into that note (.changeset/README.md), so
 * the first CHANGELOG reads as release notes, not as the diary of unreleased code.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const packages = readdirSync(join(root, 'packages'))
  .sort()
  .map((dir) => ({
    dir,
    manifest: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')),
  }))
  .filter(({ manifest }) => !manifest.private);
const unreleased = packages.every(
  ({ dir, manifest }) =>
    manifest.version === '0.0.0' && !existsSync(join(root, 'packages', dir, 'CHANGELOG.md')),
);
const changesets = readdirSync(join(root, '.changeset'))
  .filter((file) => file.endsWith('.md') && file !== 'README.md')
  .sort();
const named = (file: string): string[] => {
  const front = /^---\n([\s\S]*?)\n---/.exec(readFileSync(join(root, '.changeset', file), 'utf8'))?.[1] ?? '';
  return [...front.matchAll(/^"([^"]+)":/gm)].map((m) => m[1] as string);
};

// After the first release (a version above 0.0.0 or a CHANGELOG.md), changesets are the ordinary
// kind again and these rules no longer apply: each case then checks nothing.
describe('release notes before the first release', () => {
  it('each public package has one changeset, its first-release note, and there are no others', () => {
    if (!unreleased) return;
    expect(changesets).toStrictEqual(packages.map(({ dir }) => `first-release-${dir}.md`));
  });

  it('each first-release note names its own package only', () => {
    if (!unreleased) return;
    for (const { dir, manifest } of packages) {
      const file = `first-release-${dir}.md`;
      if (existsSync(join(root, '.changeset', file)))
        expect(named(file), file).toStrictEqual([manifest.name]);
    }
  });

  it('the notes say what a package offers, not how unreleased code changed', () => {
    if (!unreleased) return;
    const diary = /\b(used to|no longer|fixes|fixed|before this|was tried)\b/i;
    const found = changesets.flatMap((file) => {
      const text = readFileSync(join(root, '.changeset', file), 'utf8');
      const hit = diary.exec(text);
      return hit ? [`${file}: "${hit[0]}"`] : [];
    });
    expect(found).toStrictEqual([]);
  });
});
