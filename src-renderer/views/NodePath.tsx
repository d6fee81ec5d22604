// The selected node's path from the question: each step with its visits, MC, gold label (where the problem
// has gold), the label in force (curation applied: a relabelled step reads as curated, and the first
// error follows), every PRM's score and, for an imported tree with them, MM-PRM's judge values. The selected
// row is scrolled into view and highlighted.
import { useEffect, useRef } from 'react';
import type { NodePrmScores, TreeNode } from '../../src-shared/domain';
import { effectiveFirstError, effectiveLabel } from '../tree/curated';
import { stepColor } from '../tree/layout';
import type { NodeGold } from '../store/searches';
import type { NodeExtra } from '../tree/columns';
import { JudgeValue } from './NodeExtras';

export interface NodePathProps {
  /** the nodes from the root to the selected one */
  path: TreeNode[];
  selected: number;
  prm: NodePrmScores[];
  gold: ReadonlyMap<number, NodeGold>;
  curated: ReadonlyMap<number, number>;
  /** an imported tree's judge values by node (MM-PRM's mllm_as_a_judge.py): a judge column when given */
  judge?: ReadonlyMap<number, NodeExtra>;
  onSelect(id: number): void;
}

function labelText(own: number | null, firstError: boolean): string {
  if (own === null) return '';
  if (firstError) return 'first error';
  return own > 0 ? 'good' : 'bad';
}

export function NodePath({ path, selected, prm, gold, curated, judge, onSelect }: NodePathProps) {
  const chosen = useRef<HTMLTableRowElement>(null);
  // the chosen row into view, vertically only (scrollIntoView would also scroll the pane sideways)
  useEffect(() => {
    const row = chosen.current;
    const box = row?.closest('.side-body');
    if (!row || !box) return;
    const r = row.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    if (r.top < b.top) box.scrollTop -= b.top - r.top + 4;
    else if (r.bottom > b.bottom) box.scrollTop += r.bottom - b.bottom + 4;
  }, [selected]);
  const hasGold = gold.size > 0;
  return (
    <div className="node-path-box">
      <table className="data-table node-path" data-testid="node-path">
        <caption>
          Path to node #{selected} <span className="muted small">(click a row or a node in the tree)</span>
        </caption>
        <thead>
          <tr>
            <th className="num">#</th>
            <th>step</th>
            <th className="num" title="visits">N</th>
            <th className="num">MC</th>
            {judge && (
              <th className="num" title="MM-PRM's judge (mllm_as_a_judge.py): llm_as_a_judge = P(Yes) / (P(Yes) + P(No)) of the node's steps">
                judge
              </th>
            )}
            {hasGold && <th title="gold label of the node's last step (the demo checker)">gold</th>}
            <th title="the label in force: MC > 0 good, MC = 0 bad (the search's first error marked), or the curated label">label</th>
            {prm.map((p) => (
              <th key={p.modelId} className="num prm-head" title={`${p.model}: P(good) of the node's last step`}>
                {p.model.replace(/@.*/, '')}
                <span className="muted">{p.model.includes('@') ? `@${p.model.split('@')[1]}` : ''}</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {path.map((node, i) => {
            const g = gold.get(node.id);
            const own = effectiveLabel(node, curated);
            const isCurated = curated.has(node.id);
            const fe = effectiveFirstError(node, path[i - 1], curated);
            const j = judge?.get(node.id)?.judge;
            const classes = [node.id === selected ? 'chosen' : '', g?.firstError ? 'gold-first-error' : ''].filter(Boolean).join(' ');
            return (
              <tr key={node.id} ref={node.id === selected ? chosen : undefined} className={classes || undefined} data-node={node.id} onClick={() => onSelect(node.id)}>
                <td className="num">{node.depth}</td>
                <td className="mono pre">{node.stepText || <span className="muted">(question)</span>}</td>
                <td className="num">{node.visits}</td>
                <td className="num">
                  <span className="dot" style={{ background: stepColor(node.mc) }} /> {node.mc?.toFixed(3) ?? '–'}
                </td>
                {judge && (
                  <td className="num" data-testid="judge-cell">
                    {j ? <JudgeValue judge={j} /> : ''}
                  </td>
                )}
                {hasGold && (
                  <td data-testid="gold-cell">
                    {g?.last === 1 ? 'right' : g?.last === 0 ? <span className="error-text">wrong</span> : ''}
                    {g?.firstError && <div className="gold-badge">gold first error</div>}
                  </td>
                )}
                <td data-testid="label-cell">
                  {isCurated && <span className="dot" style={{ background: stepColor(own) }} />} {node.parentId === null ? '' : labelText(own, fe)}
                  {isCurated && <span className="muted small"> · curated {own?.toFixed(3)}</span>}
                </td>
                {prm.map((p) => (
                  <td key={p.modelId} className="num">
                    {p.scores[String(node.id)]?.toFixed(3) ?? ''}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
