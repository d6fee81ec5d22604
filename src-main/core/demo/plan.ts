/**
 * The math of a demo problem, apart from its wording: a start value and a list of events, and
 * the reference steps they produce. The canonical key is the plan written out, so a problem's
 * steps (and the checker's expectations) can be rebuilt from its `canonical` field alone.
 */

export type DemoEvent =
  | { kind: 'add'; k: number }
  | { kind: 'sub'; k: number }
  | { kind: 'mul'; k: number }
  | { kind: 'div'; k: number }
  /** buy k bags of m: `k * m = p`, then `prev + p = new` */
  | { kind: 'bags'; k: number; m: number };

export interface DemoPlan {
  start: number;
  events: DemoEvent[];
}

export type DemoOp = '+' | '-' | '*' | '/';

/** One expected line of a reference solution, with what the checker needs to explain a mistake. */
export type ExpectedStep =
  | { kind: 'count'; text: string; value: number; desc: string }
  | {
      kind: 'arith';
      text: string;
      value: number;
      a: number;
      op: DemoOp;
      b: number;
      /** true when `a` is the running value (false for the `k * m` line of a bags event) */
      fromPrev: boolean;
      desc: string;
    }
  | { kind: 'answer'; text: string; value: number; desc: string };

/** Largest value any step may produce. */
export const VALUE_CAP = 999;

export const ANSWER_PREFIX = 'Answer: ';
export const COUNT_PREFIX = 'count = ';

/** Steps an event adds to a solution. */
export function eventSteps(e: DemoEvent): number {
  return e.kind === 'bags' ? 2 : 1;
}

export function applyEvent(value: number, e: DemoEvent): number {
  switch (e.kind) {
    case 'add':
      return value + e.k;
    case 'sub':
      return value - e.k;
    case 'mul':
      return value * e.k;
    case 'div':
      return value / e.k;
    case 'bags':
      return value + e.k * e.m;
  }
}

function eventKey(e: DemoEvent): string {
  switch (e.kind) {
    case 'add':
      return `+${e.k}`;
    case 'sub':
      return `-${e.k}`;
    case 'mul':
      return `*${e.k}`;
    case 'div':
      return `/${e.k}`;
    case 'bags':
      return `+${e.k}x${e.m}`;
  }
}

/** `7 +3 -4 *2 +2x5 /3`: start value, then one token per event. Names, objects, wording and modality are left out. */
export function canonicalOf(plan: DemoPlan): string {
  return [String(plan.start), ...plan.events.map(eventKey)].join(' ');
}

/** Inverse of canonicalOf. Throws on a malformed key (a corrupted dataset row, not a user slip). */
export function parseCanonical(canonical: string): DemoPlan {
  const parts = canonical.trim().split(/\s+/);
  if (!/^\d+$/.test(parts[0])) throw new Error(`demo canonical "${canonical}": start value is not a number`);
  const start = Number(parts[0]);
  const events: DemoEvent[] = parts.slice(1).map((tok) => {
    let m = /^\+(\d+)x(\d+)$/.exec(tok);
    if (m) return { kind: 'bags', k: Number(m[1]), m: Number(m[2]) };
    m = /^([-+*/])(\d+)$/.exec(tok);
    if (!m) throw new Error(`demo canonical "${canonical}": cannot read event "${tok}"`);
    const k = Number(m[2]);
    const kind = ({ '+': 'add', '-': 'sub', '*': 'mul', '/': 'div' } as const)[m[1] as DemoOp];
    return { kind, k };
  });
  const plan = { start, events };
  let v = start;
  for (const e of events) {
    v = applyEvent(v, e);
    if (!Number.isInteger(v) || v < 0) throw new Error(`demo canonical "${canonical}": event ${eventKey(e)} gives ${v}`);
  }
  return plan;
}

/** What a step with left operand the running value does, in the checker's words: `add 3`, `multiply by 2`. */
export function opPhrase(op: DemoOp, b: number): string {
  switch (op) {
    case '+':
      return `add ${b}`;
    case '-':
      return `subtract ${b}`;
    case '*':
      return `multiply by ${b}`;
    case '/':
      return `divide by ${b}`;
  }
}

export function arithText(a: number, op: DemoOp, b: number, c: number): string {
  return `${a} ${op} ${b} = ${c}`;
}

/** The reference solution of a plan, one expected line per step, ending with the Answer line. */
export function expectedSteps(plan: DemoPlan, hasImage: boolean): ExpectedStep[] {
  const out: ExpectedStep[] = [];
  let v = plan.start;
  if (hasImage) out.push({ kind: 'count', text: `${COUNT_PREFIX}${v}`, value: v, desc: 'count the picture' });
  const arith = (a: number, op: DemoOp, b: number, c: number, fromPrev: boolean): void => {
    const desc = fromPrev ? opPhrase(op, b) : `compute ${a} ${op} ${b}`;
    out.push({ kind: 'arith', text: arithText(a, op, b, c), value: c, a, op, b, fromPrev, desc });
  };
  for (const e of plan.events) {
    switch (e.kind) {
      case 'add':
        arith(v, '+', e.k, v + e.k, true);
        break;
      case 'sub':
        arith(v, '-', e.k, v - e.k, true);
        break;
      case 'mul':
        arith(v, '*', e.k, v * e.k, true);
        break;
      case 'div':
        arith(v, '/', e.k, v / e.k, true);
        break;
      case 'bags': {
        const p = e.k * e.m;
        arith(e.k, '*', e.m, p, false);
        arith(v, '+', p, v + p, true);
        break;
      }
    }
    v = applyEvent(v, e);
  }
  out.push({ kind: 'answer', text: `${ANSWER_PREFIX}${v}`, value: v, desc: `give the answer ${v}` });
  return out;
}

/** Final value of a plan (the gold answer). */
export function planAnswer(plan: DemoPlan): number {
  return plan.events.reduce(applyEvent, plan.start);
}

/** Number of arithmetic steps (the problem's difficulty); the picture's `count` line is not counted. */
export function planDifficulty(plan: DemoPlan): number {
  return plan.events.reduce((n, e) => n + eventSteps(e), 0);
}
