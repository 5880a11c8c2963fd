/**
 * The JSON-like values every backend must round-trip unchanged. Remote tiers serialize with
 * JSON, so nothing here is outside what `JSON.parse(JSON.stringify(v))` preserves (no `-0`,
 * no `Date`, no `undefined` inside objects).
 */
export const SAMPLE_VALUES: ReadonlyArray<readonly [label: string, value: unknown]> = [
  ['empty string', ''],
  ['string', 'hello'],
  ['unicode string', 'Grüße, 世界 — ключ 🚀 \u00e9\u0301'],
  ['string that looks like JSON', '{"a":1}'],
  ['zero', 0],
  ['negative float', -1.5],
  ['large integer', Number.MAX_SAFE_INTEGER],
  ['tiny float', 5e-324],
  ['true', true],
  ['false', false],
  ['null', null],
  ['empty array', []],
  ['mixed array', [1, 'two', null, false, { three: 3 }, [4]]],
  ['empty object', {}],
  [
    'nested object',
    {
      id: 42,
      name: 'Ada',
      tags: ['a', 'b'],
      address: { city: 'Zürich', geo: { lat: 47.37, lng: 8.54 } },
      flags: { active: true, deleted: false, note: null },
    },
  ],
  ['object with unicode keys', { ключ: 'значение', '键 with space': [1, 2], '🔑': { '': 'empty key' } }],
];

/** A value of roughly `bytes` bytes (ASCII text, so one byte per character once serialized). */
export function largeValue(bytes: number): { kind: string; blob: string } {
  const unit = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let blob = unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
  // Vary the tail so a backend that truncates or reuses a buffer cannot pass by accident.
  blob = `${blob.slice(0, -8)}${String(bytes).padStart(8, '0')}`;
  return { kind: 'large', blob };
}
