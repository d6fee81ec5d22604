// The command palette (Ctrl+K / Cmd+K): fuzzy-filtered commands from palette/commands.ts, run with Enter.
// cmdk does the filtering and keyboard selection; the modal around it is ours (no dialog library).
import { Command } from 'cmdk';
import { useEffect, useMemo, useRef, useState } from 'react';
import { refreshAll, useApp, useAppStore, useConnection } from '../store';
import { paletteCommands, problemCommands, type PaletteCommand, type ProblemHit } from './commands';
import './palette.css';

const itemValue = (c: PaletteCommand): string => `${c.group} ${c.label}`;

export function CommandPalette() {
  const open = useApp((s) => s.paletteOpen);
  const setOpen = useApp((s) => s.setPaletteOpen);
  const store = useAppStore();
  // the lists the commands are made from; the actions are the store's own (stable) functions
  const datasets = useApp((s) => s.datasets);
  const searches = useApp((s) => s.searches);
  const evaluations = useApp((s) => s.evaluations);
  const cycleRuns = useApp((s) => s.cycleRuns);
  const input = useRef<HTMLInputElement>(null);
  const returnFocus = useRef<Element | null>(null);
  const { api } = useConnection();
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<{ query: string; items: ProblemHit[] }>({ query: '', items: [] });

  // a problem by its dataset id (or words of its question): asked of the core as the query is typed
  useEffect(() => {
    const q = query.trim();
    if (!open || q.length < 3) return;
    let live = true;
    const t = setTimeout(() => {
      Promise.all(datasets.map((d) => api['problems.list']({ dataset: d.name, search: q, limit: 8 }).then((r) => r.items.map((p) => ({ dataset: d.name, extId: p.extId, question: p.question })))))
        .then((lists) => live && setHits({ query: q, items: lists.flat().slice(0, 12) }))
        .catch(() => live && setHits({ query: q, items: [] }));
    }, 150);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [open, query, datasets, api]);
  useEffect(() => {
    if (!open) setQuery('');
  }, [open]);

  // the searches list is loaded by its view; the palette wants it too
  useEffect(() => {
    if (open && !store.getState().searchesLoaded) void store.getState().loadSearches();
  }, [open, store]);
  useEffect(() => {
    if (open) {
      returnFocus.current = document.activeElement;
      input.current?.focus();
    } else if (returnFocus.current instanceof HTMLElement) {
      returnFocus.current.focus();
    }
  }, [open]);

  const commands = useMemo(
    () => (open ? paletteCommands(store.getState(), () => void refreshAll(store)) : []),
    // rebuilt when a list it shows changes (the store is read when it is)
    [open, store, datasets, searches, evaluations, cycleRuns],
  );
  const found = useMemo(() => (hits.query === query.trim() ? problemCommands(store.getState(), hits.items) : []), [hits, query, store]);
  // the item Enter runs: cmdk's choice, except that problems found by the typed id come first when they arrive
  const [selected, setSelected] = useState('');
  useEffect(() => {
    if (found.length > 0) setSelected(itemValue(found[0]));
  }, [found]);
  if (!open) return null;

  const groups = new Map<PaletteCommand['group'], PaletteCommand[]>();
  for (const c of [...found, ...commands]) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
  const run = (c: PaletteCommand): void => {
    setOpen(false);
    c.run();
  };

  return (
    <div className="palette-backdrop" onMouseDown={(e) => e.target === e.currentTarget && setOpen(false)}>
      <div className="palette" role="dialog" aria-modal="true" aria-label="Command palette">
        <Command
          label="Command palette"
          value={selected}
          onValueChange={setSelected}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.preventDefault();
              setOpen(false);
            }
          }}
        >
          <Command.Input ref={input} value={query} onValueChange={setQuery} placeholder="Type a command, a problem's id, a dataset, a search number…" />
          <Command.List>
            <Command.Empty>No command matches.</Command.Empty>
            {[...groups].map(([group, items]) => (
              <Command.Group key={group} heading={group}>
                {items.map((c) => (
                  <Command.Item key={c.id} value={itemValue(c)} keywords={c.keywords} onSelect={() => run(c)}>
                    <span>{c.label}</span>
                    {c.shortcut && <kbd>{c.shortcut}</kbd>}
                  </Command.Item>
                ))}
              </Command.Group>
            ))}
          </Command.List>
        </Command>
        <p className="palette-help muted small">
          ↑↓ to choose · Enter to run · Esc to close · Alt+1…8 switch views · Ctrl+K opens this
        </p>
      </div>
    </div>
  );
}
