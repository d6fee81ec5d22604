// One labelled form control of a launch form (a select of known choices, a number or text input, or a
// checkbox), shared by the job and cycle launch forms. A select whose value is not among the choices keeps
// it and says so instead of silently showing another one.
export interface FieldChoice {
  value: string;
  label: string;
}

export interface FieldControlProps {
  id: string;
  label: string;
  kind: 'select' | 'number' | 'text' | 'checkbox';
  /** the value as text (select, number, text) */
  text: string;
  checked?: boolean;
  choices?: readonly FieldChoice[];
  min?: number;
  help?: string;
  /** what the schema says about this field's value, shown under it */
  error?: string | null;
  /** the new text of a select or input */
  onText(value: string): void;
  onChecked?(value: boolean): void;
}

/** A field's schema issue, under its control (read by screen readers with the control). */
function FieldError({ id, error }: { id: string; error?: string | null }) {
  return error ? (
    <small id={`${id}-error`} className="error-text field-error" data-testid="field-error">
      {error}
    </small>
  ) : null;
}

export function FieldControl(p: FieldControlProps) {
  const invalid = p.error ? { 'aria-invalid': true, 'aria-describedby': `${p.id}-error` } : {};
  if (p.kind === 'checkbox') {
    return (
      <label className="check cycle-check" htmlFor={p.id}>
        <input id={p.id} type="checkbox" checked={Boolean(p.checked)} onChange={(e) => p.onChecked?.(e.target.checked)} {...invalid} />
        <span>{p.label}</span>
        <FieldError id={p.id} error={p.error} />
      </label>
    );
  }
  if (p.kind === 'select') {
    const choices = p.choices ?? [];
    const known = choices.some((c) => c.value === p.text);
    return (
      <label className="field" htmlFor={p.id}>
        <span>{p.label}</span>
        <select id={p.id} value={p.text} onChange={(e) => p.onText(e.target.value)} {...invalid}>
          {!known && <option value={p.text}>{p.text === '' ? 'choose…' : `${p.text} (not in this workspace)`}</option>}
          {choices.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
        <FieldError id={p.id} error={p.error} />
      </label>
    );
  }
  return (
    <label className="field" htmlFor={p.id}>
      <span>{p.label}</span>
      <input id={p.id} type={p.kind} min={p.min} value={p.text} placeholder={p.help} onChange={(e) => p.onText(e.target.value)} {...invalid} />
      <FieldError id={p.id} error={p.error} />
    </label>
  );
}
