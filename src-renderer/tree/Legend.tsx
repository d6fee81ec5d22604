// The tree's legend: the MC colour scale as drawn (the same diverging red-yellow-green steps), unknown
// MC, the marks (the search's first error, the gold first error, search match, replay event, selection, collapsed count) and what size means.
import { FIRST_ERROR_COLOR, GOLD_COLOR, MATCH_COLOR, PATH_COLOR, TOUCHED_COLOR } from './draw';
import { MC_STEPS, STEP_COLORS, UNKNOWN_COLOR } from './layout';

const gradient = `linear-gradient(to right, ${STEP_COLORS.map((c, i) => `${c} ${((i / MC_STEPS) * 100).toFixed(1)}%`).join(', ')})`;

/** gold: the tree has gold labels, so the gold first error's square is explained; scale: what the colours show (MC unless told) */
export function Legend({ gold = false, scale = { name: 'MC', unknown: 'no MC' } }: { gold?: boolean; scale?: { name: string; unknown: string } }) {
  return (
    <div className="tree-legend small" role="group" aria-label="Legend">
      <span className="tree-legend-scale">
        <span>{scale.name}</span>
        <span className="tree-legend-ramp-box">
          <span className="tree-legend-ramp" style={{ background: gradient }} />
          <span className="tree-legend-ticks">
            <span>0</span>
            <span>0.5</span>
            <span>1</span>
          </span>
        </span>
      </span>
      <span>
        <span className="tree-legend-dot" style={{ background: UNKNOWN_COLOR }} /> {scale.unknown}
      </span>
      <span>
        <span className="tree-legend-dot ring" style={{ borderColor: FIRST_ERROR_COLOR }} /> first error (search)
      </span>
      {gold && (
        <span>
          <span className="tree-legend-square" style={{ borderColor: GOLD_COLOR }} /> first error (gold)
        </span>
      )}
      <span>
        <span className="tree-legend-dot ring" style={{ borderColor: MATCH_COLOR }} /> match
      </span>
      <span>
        <span className="tree-legend-dot ring" style={{ borderColor: TOUCHED_COLOR }} /> replay event
      </span>
      <span>
        <span className="tree-legend-badge" style={{ background: PATH_COLOR }}>+n</span> collapsed
      </span>
      <span>
        size = visits <span className="tree-legend-dot small-dot" /> <span className="tree-legend-dot big-dot" />
      </span>
    </div>
  );
}
