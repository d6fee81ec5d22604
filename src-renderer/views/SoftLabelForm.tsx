// A typed soft label (0..1) and its Set button, for one step or a selection. An empty or unparseable field
// is sent as NaN, so the store's check names the problem; the field clears once the label is stored.
import { useState } from 'react';

export function SoftLabelForm({ label, button, onSet }: { label: string; button: string; onSet(value: number): Promise<boolean> }) {
  const [soft, setSoft] = useState('');
  return (
    <form
      className="soft-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void onSet(soft.trim() === '' ? Number.NaN : Number(soft)).then((ok) => ok && setSoft(''));
      }}
    >
      <input type="number" min={0} max={1} step={0.01} placeholder="0..1" aria-label={label} value={soft} onChange={(e) => setSoft(e.target.value)} />
      <button type="submit">{button}</button>
    </form>
  );
}
