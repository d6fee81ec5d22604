"""Writes training rows for the demo outcome reward model (ORM, MathSE style): TRL conversations whose
user turn is the ORM input (steplab_model.format_orm_input: the policy prompt, the solution's lines,
then `V:\\n`) and whose assistant turn is the JSON verdict (format_orm_target, as orm.ts
formatOrmTarget writes it).

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/recipes/make_orm_data.py --work /tmp/orm-data \\
        --seed 21 --problems 4000 --samples 2 [--synthetic 1] [--correct-share 0.45] \\
        [--searches annotations.jsonl] [--checks]

Writes <work>/problems/ (fresh demo problems made by make_demo_data.ts with --seed, PNG pictures),
<work>/problems/orm-train.jsonl (the rows; picture paths relative to it) and <work>/orm-data.json
(counts). Solutions per problem:
  (a) `--samples` tiny-policy samples at T 0.8 (the policy's real error distribution);
  (b) `--synthetic` made-up wrong solutions from the reference: an arithmetic slip (a result off by
      1, 2 or 10), a wrong operand, a wrong operation, a wrong picture count or a wrong answer, with
      the wrong value carried forward through the later lines as a model would;
  (c) reference solutions (CORRECT), added to problems drawn at random until about
      `--correct-share` of the rows are CORRECT.
Every solution is labelled by the demo checker (labelSolution, through demo_tool.ts): strictly right
-> CORRECT; otherwise WRONG with error_step = the 1-based first wrong line (image problems' `count = k`
is line 1), error_analysis = the checker's diagnosis (`step 3: 7 + 4 is 11, not 12`) and
improvement_suggestion = `step 3 should be 7 + 4 = 11` (the checker's reference line there) or
`remove step N: the solution ends at its Answer line`. Solutions that stop early with every line right
(no wrong line to point at), that were cut at the token limit, or that are empty, are left out.

--checks writes a checking ORM's rows (tiny-orm v2): the verdict starts with a "checks" string
(steplab_model.orm_checks, marks joined by `; `), one mark per line up to the first wrong one: `3: 6 + 18 = 24` (the line
recomputed from its written operands), `1: picture 4`, `6: answer 35`; the first wrong line gets
` not X` (`3: 6 + 18 = 24 not 25`, `5: from 30 not 31`, `3: add 3 not 4`, `1: picture 4 not 3`,
`6: answer 35 not 36`, ...), from which status, error_step and the analysis follow. Rows longer than
--context tokens (prompt + verdict + </s>) are left out. A binary ORM trained on these rows ignores the
field.

Problems whose canonical form (the math without wording or modality) is in the bundled val or test
split are dropped, as train_policy.py does, so the ORM's test numbers are on unseen problems.

--searches adds rows from Steplab's own searches: TRL stepwise JSONL as `steplab export annotations
--format trl` writes it ({"prompt", "completions", "labels", "images"}). The first step whose label is
< 0.5 is the error step (WRONG, error_analysis `step k: the search's rollouts rarely succeed from here
(MC 0.12)`, improvement_suggestion `redo step k`); a path with no label < 0.5 is CORRECT only when its
last step is an `Answer:` line (a complete solution), otherwise it is skipped. These rows carry the
search's first-error position, not the checker's diagnosis; the bundled model does not use them.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from steplab_model import (  # noqa: E402
    CHECKPOINT_FILE,
    REPO_ROOT,
    CharTokenizer,
    format_orm_input,
    format_orm_target,
    jsonl_rows,
    orm_checks,
    load_checkpoint,
)
from eval_policy import Problem, label_all, read_jsonl, run_generation, split_features, strict_ok, to_steps  # noqa: E402

ANSWER_RE = re.compile(r"^\s*Answer:\s*\d+\s*$")
VALUE_CAP = 999


def log(msg: str) -> None:
    print(f"[make_orm_data] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Verdicts from gold labels


def suggestion_for(lab: Dict) -> str:
    n = lab["firstError"] + 1
    if lab.get("expected"):
        return f"step {n} should be {lab['expected']}"
    return f"remove step {n}: the solution ends at its Answer line"


def verdict_for(lab: Dict) -> Optional[Tuple[str, int, str, str]]:
    """(status, error_step, analysis, suggestion) of a labelled solution; None when it has no wrong line
    to point at but is not complete (it stopped early)."""
    if strict_ok(lab):
        return ("CORRECT", 0, "", "")
    if lab["firstError"] is None:
        return None
    return ("WRONG", lab["firstError"] + 1, lab["diagnosis"], suggestion_for(lab))


# ---------------------------------------------------------------------------------------------
# Synthetic wrong solutions (the demo plan rebuilt from `canonical`, as plan.ts expectedSteps does)


def parse_canonical(canonical: str) -> Tuple[int, List[Tuple]]:
    parts = canonical.split()
    events: List[Tuple] = []
    for tok in parts[1:]:
        m = re.match(r"^\+(\d+)x(\d+)$", tok)
        if m:
            events.append(("bags", int(m.group(1)), int(m.group(2))))
            continue
        m = re.match(r"^([-+*/])(\d+)$", tok)
        events.append((m.group(1), int(m.group(2))))
    return int(parts[0]), events


def compute(a: int, op: str, b: int) -> Optional[int]:
    if op == "+":
        return a + b
    if op == "-":
        return a - b if a >= b else None
    if op == "*":
        return a * b
    if b == 0 or a % b:
        return None
    return a // b


def corrupt(canonical: str, has_image: bool, rng: np.random.RandomState) -> Optional[Tuple[List[str], str]]:
    """A wrong solution: one mistake at a random line, every later line computed correctly from the
    values written before it (the mistake carried forward). None when the draw gives a value outside
    0..999 or a division with a remainder (the caller draws again)."""
    start, events = parse_canonical(canonical)
    # line kinds in order: count?, arith lines (with event index), answer
    n_arith = sum(2 if e[0] == "bags" else 1 for e in events)
    kinds = ["slip"] * 6 + ["operand"] * 2 + ["op"] * 1 + ["answer"] * 1 + (["count"] * 2 if has_image else [])
    kind = kinds[rng.randint(len(kinds))]
    target = rng.randint(n_arith)  # the arith line to corrupt (slip, operand, op)
    lines: List[str] = []
    v = start
    if has_image:
        if kind == "count":
            v = start + int(rng.choice([-2, -1, 1, 2]))
            if v < 1 or v > 9:
                return None
        lines.append(f"count = {v}")
    j = 0

    def line(a: int, op: str, b: int, from_prev: bool) -> Optional[int]:
        nonlocal j
        here = j
        j += 1
        if here == target and kind == "operand" and from_prev:
            b = b + int(rng.choice([-2, -1, 1, 2]))
            if b < 1:
                return None
        if here == target and kind == "op" and from_prev:
            op = str(rng.choice([o for o in "+-*" if o != op]))
        c = compute(a, op, b)
        if c is None:
            return None
        if here == target and kind == "slip":
            c = c + int(rng.choice([-1, 1, -1, 1, -2, 2, -10, 10]))
        if c < 0 or c > VALUE_CAP:
            return None
        lines.append(f"{a} {op} {b} = {c}")
        return c

    for e in events:
        if e[0] == "bags":
            p = line(e[1], "*", e[2], False)
            if p is None:
                return None
            nv = line(v, "+", p, True)
        else:
            nv = line(v, e[0], e[1], True)
        if nv is None:
            return None
        v = nv
    if kind == "answer":
        v = v + int(rng.choice([-1, 1, 2, 10]))
        if v < 0:
            return None
    lines.append(f"Answer: {v}")
    return lines, kind


# ---------------------------------------------------------------------------------------------
# Search annotations (TRL stepwise rows)


def search_rows(path: str, out_dir: str) -> Tuple[List[Dict], Dict]:
    base = os.path.dirname(os.path.abspath(path))
    rows: List[Dict] = []
    stats = collections.Counter()
    with open(path, encoding="utf-8") as f:
        for _, where, row in jsonl_rows(f, os.path.basename(path)):
            if not isinstance(row, dict) or not isinstance(row.get("prompt"), str) or not isinstance(row.get("completions"), list) \
                    or not isinstance(row.get("labels"), list) or len(row["labels"]) != len(row["completions"]):
                raise ValueError(f'{where}: expected TRL stepwise {{"prompt", "completions", "labels"}} with one label per step')
            steps = [str(s).strip() for s in row["completions"]]
            labels = [float(v) for v in row["labels"]]
            images = row.get("images") or []
            bad = next((i for i, v in enumerate(labels) if v < 0.5), None)
            if bad is not None:
                target = format_orm_target("WRONG", bad + 1, f"step {bad + 1}: the search's rollouts rarely succeed from here (MC {labels[bad]:.2f})",
                                           f"redo step {bad + 1}")
                stats["wrong"] += 1
            elif steps and ANSWER_RE.match(steps[-1]):
                target = format_orm_target("CORRECT")
                stats["correct"] += 1
            else:
                stats["skipped_incomplete"] += 1
                continue
            imgs = []
            for ref in images[:1]:
                if ref.startswith("data:") or os.path.isabs(ref):
                    imgs.append(ref)
                else:
                    imgs.append(os.path.relpath(os.path.join(base, ref), out_dir))
            rows.append({"messages": [{"role": "user", "content": format_orm_input(row["prompt"], steps, bool(imgs))},
                                      {"role": "assistant", "content": target}], "images": imgs})
    return rows, dict(stats)


# ---------------------------------------------------------------------------------------------


def node(*args: str) -> None:
    subprocess.run(["node", "bin/run-ts.js", *args], cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", required=True, help="folder to write (problems/, orm-train.jsonl, orm-data.json)")
    ap.add_argument("--policy", default=os.path.join(REPO_ROOT, "models", "tiny-policy"))
    ap.add_argument("--demo-data", default=os.path.join(REPO_ROOT, "models", "demo-data"), help="bundled dataset whose val/test forms are held out")
    ap.add_argument("--seed", type=int, default=21, help="problem seed (the bundled set uses 1, the policy's training data 11)")
    ap.add_argument("--problems", type=int, default=4000)
    ap.add_argument("--samples", type=int, default=2, help="policy samples per problem")
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--synthetic", type=int, default=1, help="synthetic wrong solutions per problem")
    ap.add_argument("--correct-share", type=float, default=0.45)
    ap.add_argument("--searches", default=None, help="TRL stepwise JSONL exported from Steplab searches (optional)")
    ap.add_argument("--numbered", action="store_true", help="number the solution's lines in the ORM input (`3: 6 + 18 = 24`; an experiment)")
    ap.add_argument("--checks", action="store_true", help='write the "checks" field first in each verdict (a checking ORM)')
    ap.add_argument("--context", type=int, default=512, help="with --checks: leave out rows longer than this many tokens")
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    torch.set_num_threads(1)
    t_start = time.time()
    work = os.path.abspath(args.work)
    pdir = os.path.join(work, "problems")
    os.makedirs(work, exist_ok=True)

    t0 = time.time()
    node("models/recipes/make_demo_data.ts", "--out", pdir, "--seed", str(args.seed), "--train", str(args.problems),
         "--val", "0", "--test", "0", "--overwrite")
    held = {r["canonical"] for r in read_jsonl(os.path.join(args.demo_data, "problems.jsonl")) if r["split"] in ("val", "test")}
    rows_all = [r for r in read_jsonl(os.path.join(pdir, "problems.jsonl")) if r["split"] == "train"]
    rows = [r for r in rows_all if r["canonical"] not in held]
    log(f"{len(rows_all)} problems (seed {args.seed}), {len(rows_all) - len(rows)} dropped (canonical form in the bundled val/test), {time.time() - t0:.0f} s")

    # (a) policy samples
    t0 = time.time()
    model, vision, _ = load_checkpoint(os.path.join(args.policy, CHECKPOINT_FILE))
    model.eval()
    tok = CharTokenizer.from_file(os.path.join(args.policy, "tokenizer.json"))
    image_tokens = vision.config.tokens if vision is not None else 1
    feats, pix_index = split_features(vision, pdir, "train")
    problems = [Problem(r, pix_index[r["id"]] if r.get("image_count") is not None else None) for r in rows]
    gens = run_generation(model, tok, feats, problems, image_tokens, args.samples, args.temperature, 128, args.batch, args.seed)
    log(f"policy samples: {len(problems)} x {args.samples} at T {args.temperature} in {time.time() - t0:.0f} s")

    # candidates: (problem index, source, steps)
    rng = np.random.RandomState(args.seed)
    cands: List[Tuple[int, str, List[str]]] = []
    dropped = collections.Counter()
    for i, p in enumerate(problems):
        for c in range(args.samples):
            steps, ended = to_steps(tok, gens[i][c])
            if not ended:
                dropped["policy_cut_at_token_limit"] += 1
            elif not steps:
                dropped["policy_empty"] += 1
            else:
                cands.append((i, "policy", steps))
        for _ in range(args.synthetic):
            for _try in range(20):
                res = corrupt(p.canonical, p.image is not None, rng)
                if res is not None:
                    cands.append((i, "synthetic:" + res[1], res[0]))
                    break
        cands.append((i, "reference", [s["text"] for s in p.row["reference_steps"]]))
    tmp = tempfile.mkdtemp(prefix="steplab-orm-data-")
    labels = label_all([{"canonical": problems[i].canonical, "image_count": problems[i].image_count, "steps": s} for i, _, s in cands], tmp)

    chosen: List[Tuple[int, str, List[str], Tuple]] = []
    refs: List[Tuple[int, str, List[str], Tuple]] = []
    for (i, src, steps), lab in zip(cands, labels):
        v = verdict_for(lab)
        if v is None:
            dropped[f"{src.split(':')[0]}_stopped_early"] += 1
            continue
        if src.startswith("synthetic") and v[0] == "CORRECT":
            dropped["synthetic_came_out_right"] += 1
            continue
        (refs if src == "reference" else chosen).append((i, src, steps, v))
    n_c = sum(1 for c in chosen if c[3][0] == "CORRECT")
    n_w = len(chosen) - n_c
    want = int(round(max(0.0, (args.correct_share * (n_c + n_w) - n_c) / (1 - args.correct_share))))
    want = min(want, len(refs))
    pick = sorted(rng.choice(len(refs), want, replace=False)) if want else []
    chosen += [refs[k] for k in pick]
    chosen.sort(key=lambda c: c[0])

    out_rows: List[Dict] = []
    by_source = collections.Counter()
    by_step = collections.Counter()
    for i, src, steps, (status, step, analysis, suggestion) in chosen:
        p = problems[i]
        prompt = format_orm_input(p.question, steps, p.image is not None, numbered=args.numbered)
        checks = orm_checks(steps, status, step, analysis) if args.checks else None
        target = format_orm_target(status, step, analysis, suggestion, checks=checks)
        if args.checks and len(tok.encode_prompt(prompt, image_tokens)) + len(target) + 1 > args.context:
            # the verdict's characters are one token each in the ORM tokenizer (the JSON ones are added)
            dropped[f"over_context_with_checks {src.split(':')[0]} {status}"] += 1
            continue
        by_source[f"{src.split(':')[0]} {status}"] += 1
        if src.startswith("synthetic"):
            by_source[src] += 1
        if status == "WRONG":
            by_step[step] += 1
        out_rows.append({
            "messages": [{"role": "user", "content": prompt},
                         {"role": "assistant", "content": target}],
            "images": [p.row["image"]] if p.row.get("image") else [],
        })
    search_stats = None
    if args.searches:
        extra, search_stats = search_rows(args.searches, pdir)
        out_rows += extra
        log(f"searches: {len(extra)} rows from {args.searches} ({search_stats})")
    # shuffle so that the trainer's batches mix problems (it shuffles again per epoch)
    order = rng.permutation(len(out_rows))
    out_file = os.path.join(pdir, "orm-train.jsonl")
    with open(out_file, "w", encoding="utf-8") as f:
        for k in order:
            f.write(json.dumps(out_rows[k], ensure_ascii=False) + "\n")
    with open(out_file, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    n_correct = sum(1 for r in out_rows if '"status":"CORRECT"' in r["messages"][1]["content"])
    stats = {
        "seed": args.seed, "problems": len(problems), "problems_dropped_heldout": len(rows_all) - len(rows),
        "samples_per_problem": args.samples, "temperature": args.temperature, "synthetic_per_problem": args.synthetic, "checks": args.checks,
        "rows": len(out_rows), "correct_rows": n_correct, "correct_share": round(n_correct / max(1, len(out_rows)), 4),
        "reference_rows_added": want, "by_source": dict(sorted(by_source.items())),
        "wrong_by_error_step": {str(k): by_step[k] for k in sorted(by_step)}, "left_out": dict(dropped),
        "searches": search_stats, "rows_sha256": digest, "seconds": round(time.time() - t_start, 1),
        "rows_file": out_file,
    }
    with open(os.path.join(work, "orm-data.json"), "w", encoding="utf-8") as f:
        json.dump(stats, f, indent=2)
        f.write("\n")
    print(json.dumps(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
