// The tree's drawing, prepared once per layout as a few Path2D objects in tree coordinates: all edges in
// one path, the nodes in one path per MC colour step, the first errors' rings in one more. A frame (pan,
// zoom) then costs a handful of fills and strokes, whatever the tree's size.
import { MC_STEPS, mcStep, STEP_COLORS, UNKNOWN_COLOR, type LaidNode, type TreeLayout } from './layout';

export interface Scene {
  edges: Path2D;
  /** node discs, one path per colour */
  fills: { color: string; path: Path2D }[];
  firstErrors: Path2D;
  /** squares around the nodes that hold their path's gold first error */
  goldFirstErrors: Path2D;
  nodes: number;
}

/** Only these nodes are drawn (a replay frame); the others' MC shows once `estimated` holds them. */
export interface SceneFilter {
  exists: ReadonlySet<number>;
  estimated: ReadonlySet<number>;
}

export const EDGE_COLOR = 'rgba(120,130,140,0.55)';
export const PATH_COLOR = '#2f6fde';
export const FIRST_ERROR_COLOR = '#b3001b';
export const MATCH_COLOR = '#d946ef';
export const TOUCHED_COLOR = '#f59e0b';
/** the gold first error's square: violet, apart from the search's red ring in both themes */
export const GOLD_COLOR = '#8b5cf6';

function disc(p: Path2D, n: LaidNode, r = n.r): void {
  p.moveTo(n.x + r, n.y);
  p.arc(n.x, n.y, r, 0, 2 * Math.PI);
}

function square(p: Path2D, n: LaidNode, half: number): void {
  p.rect(n.x - half, n.y - half, 2 * half, 2 * half);
}

/** How a node is drawn when curation or gold says more than the search: its label (colour) and whether it is ringed as a first error. */
export interface SceneMarks {
  /** the node's effective label (a curated soft label in force), drawn instead of its MC */
  label?(id: number): number | null | undefined;
  /** whether the node is ringed as a first error (default: the search's mark) */
  firstError?(id: number): boolean;
  /** nodes that hold their path's gold first error */
  goldFirstError?: ReadonlySet<number>;
  /** another value to colour by instead of MC and the curated label (an imported tree's judge score); null: no value */
  value?(id: number): number | null;
  /** what the colour scale shows, for the legend (default MC) */
  scale?: { name: string; unknown: string };
}

/** The scene of a layout, or of the nodes of it a replay frame has (edges then go to the nearest drawn ancestor). */
export function buildScene(layout: TreeLayout, filter?: SceneFilter, marks: SceneMarks = {}): Scene {
  const edges = new Path2D();
  const byStep: (Path2D | null)[] = new Array(MC_STEPS + 2).fill(null);
  const firstErrors = new Path2D();
  const goldFirstErrors = new Path2D();
  let count = 0;
  for (const n of layout.nodes) {
    if (filter && !filter.exists.has(n.node.id)) continue;
    count++;
    let p = n.parent;
    if (filter) while (p && !filter.exists.has(p.node.id)) p = p.parent;
    if (p) {
      edges.moveTo(p.x, p.y);
      edges.lineTo(n.x, n.y);
    }
    const estimated = !filter || filter.estimated.has(n.node.id);
    const curated = filter ? undefined : marks.label?.(n.node.id);
    const step = !estimated ? -1 : mcStep(!filter && marks.value ? marks.value(n.node.id) : (curated ?? n.node.mc));
    const path = (byStep[step + 1] ??= new Path2D());
    disc(path, n);
    // the ring sits just outside the disc, so it shows on a red (MC 0) node too
    const ringed = filter || !marks.firstError ? n.node.firstError : marks.firstError(n.node.id);
    if (ringed && estimated) disc(firstErrors, n, n.r + 2);
    if (marks.goldFirstError?.has(n.node.id)) square(goldFirstErrors, n, n.r + 5);
  }
  const fills: Scene['fills'] = [];
  byStep.forEach((path, i) => {
    if (path) fills.push({ color: i === 0 ? UNKNOWN_COLOR : STEP_COLORS[i - 1], path });
  });
  return { edges, fills, firstErrors, goldFirstErrors, nodes: count };
}

/** Draws a scene with the context already transformed to tree coordinates at zoom k. */
export function drawScene(g: CanvasRenderingContext2D, scene: Scene, k: number, alpha = 1): void {
  g.globalAlpha = alpha;
  g.lineWidth = 1 / k;
  g.strokeStyle = EDGE_COLOR;
  g.stroke(scene.edges);
  for (const f of scene.fills) {
    g.fillStyle = f.color;
    g.fill(f.path);
  }
  g.lineWidth = 2 / k;
  g.strokeStyle = FIRST_ERROR_COLOR;
  g.stroke(scene.firstErrors);
  g.strokeStyle = GOLD_COLOR;
  g.setLineDash([3 / k, 2 / k]);
  g.stroke(scene.goldFirstErrors);
  g.setLineDash([]);
  g.globalAlpha = 1;
}

/** Rings around some nodes (search matches), as one path. */
export function ringsPath(layout: TreeLayout, ids: Iterable<number>, pad: number): Path2D {
  const p = new Path2D();
  for (const id of ids) {
    const n = layout.byId.get(id);
    if (n) disc(p, n, n.r + pad);
  }
  return p;
}
