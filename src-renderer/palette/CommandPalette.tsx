// The command palette (Ctrl+K / Cmd+K): fuzzy-filtered commands from palette/commands.ts, run with Enter.
// cmdk does the filtering and keyboard selection; the modal around it is ours (no dialog library).
import { Command } from 'cmdk';
import { useEffect, useMemo, useRef } from 'react';
import { refreshAll, useApp, useAppStore } from '../store';
import { paletteCommands, type PaletteCommand } from './commands';
import './palette.css';

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
  if (!open) return null;

  const groups = new Map<PaletteCommand['group'], PaletteCommand[]>();
  for (const c of commands) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
  const run = (c: PaletteCommand): void => {
    setOpen(false);
    c.run();
  };

  return (
    <div className="palette-backdrop" onMouseDown={(e) => e.target === e.currentTarget && setOpen(false)}>
      <div className="palette" role="dialog" aria-modal="true" aria-label="Command palette">
        <Command
          label="Command palette"
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.preventDefault();
              setOpen(false);
            }
          }}
        >
          <Command.Input ref={input} placeholder="Type a command, a dataset, a search number…" />
          <Command.List>
            <Command.Empty>No command matches.</Command.Empty>
            {[...groups].map(([group, items]) => (
              <Command.Group key={group} heading={group}>
                {items.map((c) => (
                  <Command.Item key={c.id} value={`${c.group} ${c.label}`} keywords={c.keywords} onSelect={() => run(c)}>
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
