/**
 * A hand-written SVG bar chart: for each throughput comparison, every contender's ops/s as a
 * share of the raw client of that comparison (1.0 = as fast as the raw client).
 */
import { baselineRow, type Row, rowRatio, type ScenarioResult } from './scenario.js';

const WIDTH = 900;
const LABEL_WIDTH = 330;
const BAR_AREA = WIDTH - LABEL_WIDTH - 90;
const BAR_HEIGHT = 16;
const GAP = 4;
const COLORS: Record<Row['kind'], string> = { tiercache: '#2563eb', raw: '#6b7280', peer: '#f59e0b' };

/** Longest label drawn in full; longer ones are cut so they stay left of the bars. */
const MAX_LABEL_CHARS = 50;

function fitLabel(text: string): string {
  return text.length <= MAX_LABEL_CHARS ? text : `${text.slice(0, MAX_LABEL_CHARS - 1)}…`;
}

function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

interface Block {
  title: string;
  bars: { label: string; kind: Row['kind']; share: number }[];
}

function blocks(results: readonly ScenarioResult[]): Block[] {
  const out: Block[] = [];
  for (const result of results) {
    if (result.skipped || result.lowerIsBetter || result.unit !== 'ops/s') continue;
    const groups = [...new Set(result.rows.map((r) => r.group))];
    for (const group of groups) {
      const rows = result.rows.filter((r) => r.group === group && !r.reference && r.median !== undefined);
      const base = baselineRow(result.rows, group);
      if (!base?.median || rows.length === 0) continue;
      out.push({
        title: `${result.id}. ${group ?? result.title}`,
        bars: rows.map((r) => ({
          label: r.name,
          kind: r.kind,
          share: r === base ? 1 : (rowRatio(r, base) ?? 0),
        })),
      });
    }
  }
  return out;
}

/** The chart as an SVG document. */
export function resultsSvg(results: readonly ScenarioResult[], subtitle: string): string {
  const data = blocks(results);
  const max = Math.max(1, ...data.flatMap((b) => b.bars.map((bar) => bar.share)));
  const scale = BAR_AREA / max;
  const parts: string[] = [];
  let y = 56;
  for (const block of data) {
    parts.push(
      `<text x="10" y="${y + 12}" font-weight="bold" font-size="13">${escapeXml(block.title)}</text>`,
    );
    y += 20;
    for (const bar of block.bars) {
      const w = Math.max(1, bar.share * scale);
      parts.push(
        `<text x="${LABEL_WIDTH - 8}" y="${y + 12}" text-anchor="end" font-size="12">${escapeXml(fitLabel(bar.label))}</text>`,
        `<rect x="${LABEL_WIDTH}" y="${y}" width="${w.toFixed(1)}" height="${BAR_HEIGHT}" fill="${COLORS[bar.kind]}"/>`,
        `<text x="${(LABEL_WIDTH + w + 6).toFixed(1)}" y="${y + 12}" font-size="12">${bar.share.toFixed(2)}x</text>`,
      );
      y += BAR_HEIGHT + GAP;
    }
    y += 10;
  }
  const oneX = LABEL_WIDTH + scale;
  const height = y + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="16" font-weight="bold">tiercache vs raw clients and peers: ops/s as a share of the raw client</text>`,
    `<text x="10" y="40" font-size="12" fill="#374151">${escapeXml(subtitle)}</text>`,
    `<line x1="${oneX.toFixed(1)}" y1="50" x2="${oneX.toFixed(1)}" y2="${y}" stroke="#9ca3af" stroke-dasharray="4 3"/>`,
    `<text x="${oneX.toFixed(1)}" y="${y + 14}" font-size="11" text-anchor="middle" fill="#374151">1.0x raw</text>`,
    ...parts,
    `<rect x="10" y="${y + 4}" width="10" height="10" fill="${COLORS.tiercache}"/><text x="24" y="${y + 13}" font-size="11">tiercache</text>`,
    `<rect x="90" y="${y + 4}" width="10" height="10" fill="${COLORS.raw}"/><text x="104" y="${y + 13}" font-size="11">raw client</text>`,
    `<rect x="180" y="${y + 4}" width="10" height="10" fill="${COLORS.peer}"/><text x="194" y="${y + 13}" font-size="11">peer</text>`,
    '</svg>',
    '',
  ].join('\n');
}
