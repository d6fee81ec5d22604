// The replay timeline under the tree: a slider over the search's events, step back / play-pause / step
// forward, the speed, and a caption of what the event at the slider did. Position null is the finished
// tree (no replay).
import { useEffect, useState } from 'react';
import type { Replay } from '../tree/replay';
import './searches.css';

const SPEEDS = [0.5, 1, 2, 4, 8];
/** events per second at speed 1× */
const BASE_RATE = 2;

export function ReplayTimeline({ replay, k, onChange }: { replay: Replay; k: number | null; onChange(k: number | null): void }) {
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(1);
  const last = replay.steps.length - 1;

  useEffect(() => {
    if (!playing) return;
    if (k !== null && k >= last) {
      setPlaying(false);
      return;
    }
    const t = setTimeout(() => onChange(k === null ? 0 : Math.min(last, k + 1)), 1000 / (BASE_RATE * speed));
    return () => clearTimeout(t);
  }, [playing, k, last, speed, onChange]);

  if (replay.steps.length === 0) return <p className="muted small replay">This search has no event log to replay (an import without events, or a search that made no policy call).</p>;
  const step = k === null ? null : replay.steps[k];
  const togglePlay = () => {
    if (playing) return setPlaying(false);
    if (k === null || k >= last) onChange(0);
    setPlaying(true);
  };
  const go = (next: number) => {
    setPlaying(false);
    onChange(Math.max(0, Math.min(last, next)));
  };
  return (
    <div className="replay" role="group" aria-label="Replay">
      <div className="replay-controls">
        <button type="button" aria-label="Step back" disabled={k === 0} onClick={() => go(k === null ? last : k - 1)}>
          ◀ back
        </button>
        <button type="button" aria-label={playing ? 'Pause' : 'Play'} onClick={togglePlay}>
          {playing ? '❚❚ pause' : '▶ play'}
        </button>
        <button type="button" aria-label="Step forward" disabled={k !== null && k >= last} onClick={() => go(k === null ? 0 : k + 1)}>
          forward ▶
        </button>
        <input type="range" aria-label="Replay position" min={0} max={last} value={k ?? last} onChange={(e) => go(Number(e.target.value))} />
        <select aria-label="Replay speed" value={speed} onChange={(e) => setSpeed(Number(e.target.value))}>
          {SPEEDS.map((s) => (
            <option key={s} value={s}>
              {s}×
            </option>
          ))}
        </select>
        <span className="small muted replay-count">{k === null ? `${replay.steps.length} events` : `event ${k + 1} of ${replay.steps.length}`}</span>
        {k !== null && (
          <button
            type="button"
            onClick={() => {
              setPlaying(false);
              onChange(null);
            }}
          >
            Show the finished tree
          </button>
        )}
      </div>
      <p className="replay-caption small" data-testid="replay-caption" aria-live="polite">
        {step ? step.caption : 'The finished tree. Press play or drag the slider to replay the search event by event.'}
        {replay.legacy && step && <span className="muted"> (an older log without node creations: when nodes appeared is inferred)</span>}
      </p>
    </div>
  );
}
