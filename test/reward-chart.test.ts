// The accuracy-vs-N chart: every method of the table drawn (none left out), one legend that shows each
// method's real line style (PRM rules solid, baselines dashed, the oracle dotted), and a dark variant
// for the UI's dark theme.
import { describe, expect, it } from 'vitest';
import { accuracyChartSvg } from '../src-main/core/reward/chart';
import { BON_METHODS, type BonRow } from '../src-main/core/reward/metrics';

const row = (shift: number): BonRow => Object.fromEntries(BON_METHODS.map((m, i) => [m, 0.3 + 0.04 * i + shift])) as BonRow;
const byN = { '1': row(0), '2': row(0.01), '4': row(0.02) };

/** The legend's entries: each label with the dash of the symbol drawn beside it. */
function legend(svg: string): Map<string, string | null> {
  const out = new Map<string, string | null>();
  const re = /role-legend-symbol[^>]*><path([^>]*)\/>[\s\S]*?role-legend-label[^>]*><text[^>]*>([^<]*)<\/text>/g;
  for (const m of svg.matchAll(re)) out.set(m[2], /stroke-dasharray="([^"]*)"/.exec(m[1])?.[1] ?? null);
  return out;
}

describe('accuracy chart', () => {
  it('draws every method of the table, with a legend in the lines’ own dash styles', async () => {
    const svg = await accuracyChartSvg(byN, { title: 't', chosen: 'prm_product' });
    const entries = legend(svg);
    expect([...entries.keys()]).toEqual(BON_METHODS.map((m) => (m === 'prm_product' ? 'prm_product (chosen)' : m)));
    expect(entries.get('greedy')).toBe('6,3');
    expect(entries.get('majority')).toBe('6,3');
    expect(entries.get('pass_at_n')).toBe('2,2');
    expect(entries.get('prm_sum_log_odds')).toBe('1,0');
    expect(entries.get('prm_max')).toBe('1,0');
    // each method is a line of the same style
    expect(svg).toMatch(/method: greedy[^"]*" [^>]*stroke-dasharray="6,3"/);
    expect(svg).toMatch(/method: pass_at_n[^"]*" [^>]*stroke-dasharray="2,2"/);
  });

  it('takes the UI’s dark theme: its surface behind, its text colour for the words', async () => {
    const dark = await accuracyChartSvg(byN, { title: 't', theme: 'dark' });
    expect(dark).toContain('#1c2026');
    expect(dark).toContain('fill="#e4e8ee"');
    expect(dark).not.toMatch(/fill="white"/);
    const light = await accuracyChartSvg(byN, { title: 't' });
    expect(light).not.toContain('#1c2026');
  });
});
