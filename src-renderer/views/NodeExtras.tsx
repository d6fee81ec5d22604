// What an imported tree's producer kept of the selected node, beside its MC: MM-PRM's judge
// (mllm_as_a_judge.py: llm_as_a_judge, and P(Yes) / P(No), the exponentiated log-probs logprob_yes /
// logprob_no) and the counts of the rollout texts omegaprm.py kept (correct_rollouts / incorrect_rollouts).
// The texts themselves are asked for (searches.nodeRollouts) only when the button is pressed, and shown
// step by step, the correct ones apart from the incorrect ones. Nothing at all for a node without extras
// (Steplab's own searches).
import type { TreeNode } from '../../src-shared/domain';
import { ErrorNote } from '../components/ErrorNote';
import { count } from '../format';
import { MathText } from '../math/MathText';
import { useApp, useAppStore, type AppState } from '../store';
import type { NodeRolloutTexts } from '../store/searches';
import type { NodeExtra } from '../tree/columns';
import { stepColor } from '../tree/layout';

const JUDGE_TITLE = "MM-PRM's judge (mllm_as_a_judge.py): llm_as_a_judge = P(Yes) / (P(Yes) + P(No)), from the judge's log-probs of Yes and No";

const fixed = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : x.toFixed(3));

/** "kept 3 correct / 2 incorrect rollouts" */
export function keptText(e: Pick<NodeExtra, 'keptCorrect' | 'keptIncorrect'>): string {
  return `kept ${e.keptCorrect.toLocaleString()} correct / ${count(e.keptIncorrect, 'incorrect rollout')}`;
}

/** The judge's values of a node, as the panel and the path table show them. */
export function JudgeValue({ judge }: { judge: NonNullable<NodeExtra['judge']> }) {
  return (
    <>
      <span className="dot" style={{ background: stepColor(judge.score) }} /> {fixed(judge.score)}
    </>
  );
}

function RolloutList({ kind, items }: { kind: 'correct' | 'incorrect'; items: string[][] }) {
  return (
    <div className={`rollout-group ${kind}`} data-testid={`rollouts-${kind}`}>
      <h5>
        {items.length.toLocaleString()} {kind} {items.length === 1 ? 'rollout' : 'rollouts'}
      </h5>
      {items.length === 0 ? (
        <p className="muted small">none kept</p>
      ) : (
        items.map((steps, i) => (
          <div key={i} className="rollout" data-testid="rollout">
            <div className="rollout-head muted small">
              {kind} rollout {i + 1} · {count(steps.length, 'step')}
            </div>
            <ol className="rollout-steps">
              {steps.map((st, k) => (
                <li key={k}>
                  <MathText text={st} />
                </li>
              ))}
            </ol>
          </div>
        ))
      )}
    </div>
  );
}

export function RolloutTexts({ rollouts }: { rollouts: NodeRolloutTexts }) {
  return (
    <div className="rollout-texts" data-testid="rollout-texts" tabIndex={0} aria-label={`Kept rollouts of node #${rollouts.nodeId}`}>
      <RolloutList kind="correct" items={rollouts.correct} />
      <RolloutList kind="incorrect" items={rollouts.incorrect} />
    </div>
  );
}

export interface NodeExtrasViewProps {
  node: TreeNode;
  extra: NodeExtra | undefined;
  /** the texts are asked for: shown when loaded */
  shown: boolean;
  rollouts: NodeRolloutTexts | undefined;
  error: string | null;
  onShow(): void;
  onHide(): void;
  onRetry(): void;
}

/** What the panel shows of a node, from the store: the texts only once asked for (Show the kept rollouts). */
export function nodeExtrasProps(s: AppState, node: TreeNode, extra: NodeExtra | undefined): NodeExtrasViewProps {
  const error = s.nodeRolloutsError?.nodeId === node.id ? s.nodeRolloutsError.message : null;
  return {
    node,
    extra,
    shown: s.rolloutsShown === node.id,
    rollouts: s.nodeRollouts[node.id],
    error,
    onShow: () => void s.showNodeRollouts(node.id),
    onHide: () => s.showNodeRollouts(null),
    onRetry: () => void s.loadNodeRollouts(node.id),
  };
}

export function NodeExtrasView({ node, extra, shown, rollouts, error, onShow, onHide, onRetry }: NodeExtrasViewProps) {
  if (!extra) return null;
  const kept = extra.keptCorrect + extra.keptIncorrect;
  const judge = extra.judge;
  if (kept === 0 && !judge) return null;
  return (
    <section className="node-extras" aria-label={`What the imported tree kept of node #${node.id}`} data-testid="node-extras">
      <div className="node-extras-values">
        <span className="extras-value" title="Monte Carlo estimate: the share of rollouts from this node that reached the right answer">
          <span className="extras-label">MC</span> <span className="dot" style={{ background: stepColor(node.mc) }} /> {fixed(node.mc)}
        </span>
        {judge && (
          <span className="extras-value" title={JUDGE_TITLE} data-testid="node-judge">
            <span className="extras-label">MM-PRM's judge</span> <JudgeValue judge={judge} />
            <span className="muted">
              {' '}
              · P(yes) {fixed(judge.yes)} · P(no) {fixed(judge.no)}
            </span>
          </span>
        )}
      </div>
      <div className="node-extras-kept">
        <span data-testid="node-kept">{kept > 0 ? keptText(extra) : 'no rollouts kept for this node'}</span>
        {kept > 0 &&
          (shown ? (
            <button type="button" onClick={onHide}>
              Hide the rollouts
            </button>
          ) : (
            <button type="button" onClick={onShow}>
              Show the kept rollouts
            </button>
          ))}
      </div>
      {shown && error && !rollouts && <ErrorNote message={`Kept rollouts: ${error}`} onRetry={onRetry} />}
      {shown && !rollouts && !error && <p className="muted small">Loading the rollouts…</p>}
      {shown && rollouts && <RolloutTexts rollouts={rollouts} />}
    </section>
  );
}

/** The selected node's extras, from the store. */
export function NodeExtras({ node, extra }: { node: TreeNode; extra: NodeExtra | undefined }) {
  // the values the view reads, subscribed one by one (a selector making a new object would re-render forever)
  useApp((s) => s.rolloutsShown);
  useApp((s) => s.nodeRollouts);
  useApp((s) => s.nodeRolloutsError);
  return <NodeExtrasView {...nodeExtrasProps(useAppStore().getState(), node, extra)} />;
}
