"""Diagnostics for the demo PRM (issue "A demo that demonstrates"): rows labelled by the demo's gold
checker instead of a search, to separate "the PRM cannot learn to check a step" from "the search's labels
are too noisy", and an evaluation of any PRM folder on tiny-policy candidates of the bundled val split.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/recipes/prm_gold.py data --work W --seed 31 --problems 12000 --samples 2
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/recipes/prm_gold.py evalset --work W --samples 8
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/recipes/prm_gold.py eval --model <prm folder> --evalset W/eval-val.jsonl [--out m.json]
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/recipes/prm_gold.py deepen --base models/tiny-policy --out W/base-d6 --layers 2
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/recipes/prm_gold.py relabel --rows rows.jsonl --scores lik.json --out rows-lik.jsonl
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/recipes/prm_gold.py firsterror --val-rows V --val-scores VS --test-rows T --test-scores TS
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/recipes/prm_gold.py recompute --model models/tiny-policy --rows T [--json]

`data` writes W/problems/ (fresh demo problems, make_demo_data.ts --seed; problems whose canonical form is
in the bundled val/test split dropped) and W/problems/gold-train.jsonl: TRL stepwise rows of tiny-policy
samples at T 0.8, labelled as MM-PRM's traverse.py cuts a path: a correct solution is a positive path,
every step 1; a wrong one ends at its first wrong line (the checker's), labelled 1 before it and 0 there.
Samples cut at the token limit, empty, or stopped early with every line right are left out.

`evalset` writes W/eval-val.jsonl: `--samples` tiny-policy samples (T 0.8, seed 0) of each bundled val
problem, every step labelled by the checker (1 before the first wrong line, 0 from it on), with
"problem" and "correct" (strictly right) fields.

`eval` scores the evaluation set with the PRM folder (prm_score.py's reference scorer) and prints JSON:
within-problem pairwise accuracy (a correct candidate's min step score above an incorrect one's, ties
half), step AUC, ProcessBench F1 at 0.5 and at the best threshold, Best-of-N by min / last / product
against random pick, majority vote and pass@N, the mean score of correct steps by position, and the twin
check (a right line against the same line with its result or count changed by one, after the same prefix).

`deepen` writes a base with more layers on top, added as an identity (their output projections zero), for a
PRM deeper than the policy. `relabel` replaces each step's label of TRL rows by a prm_score.py score (e.g.
the policy's likelihood, `prm_score.py --policy-likelihood`), to train a PRM on it as soft labels.
`firsterror` tells how often step scores name the first wrong step (the first step under a τ chosen on val).
`recompute` asks what a verifier built on the policy's own arithmetic would need: for each text row whose
first wrong step (gold labels) is an `a op b = c` line with a wrong result, what the policy writes greedily
after `a op b =` in the row's context (in place of the line), and after the same expression written again
as the next line (a verifier recomputing the line it just read); each is the right value, the row's wrong
`c` again, or another number.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from steplab_model import CHECKPOINT_FILE, REPO_ROOT, CharTokenizer, calculator_value, load_checkpoint  # noqa: E402
from eval_policy import ARITH_RE, Problem, label_all, read_jsonl, run_generation, split_features, strict_ok, to_steps  # noqa: E402

DEMO = os.path.join(REPO_ROOT, "models", "demo-data")
POLICY = os.path.join(REPO_ROOT, "models", "tiny-policy")


def log(msg: str) -> None:
    print(f"[prm_gold] {msg}", file=sys.stderr, flush=True)


def node(*args: str) -> None:
    import subprocess
    subprocess.run(["node", os.path.join(REPO_ROOT, "bin", "run-ts.js"), *args], check=True, cwd=REPO_ROOT)


def sample(problems: List[Problem], pdir: str, split: str, samples: int, temperature: float, seed: int, batch: int) -> List[List[Optional[List[str]]]]:
    """samples per problem: steps, or None when cut at the token limit / empty."""
    model, vision, _ = load_checkpoint(os.path.join(POLICY, CHECKPOINT_FILE))
    model.eval()
    tok = CharTokenizer.from_file(os.path.join(POLICY, "tokenizer.json"))
    image_tokens = vision.config.tokens if vision is not None else 1
    feats, pix_index = split_features(vision, pdir, split)
    for p in problems:
        p.image = pix_index[p.id] if p.image_count is not None else None
    gens = run_generation(model, tok, feats, problems, image_tokens, samples, temperature, 128, batch, seed)
    out: List[List[Optional[List[str]]]] = []
    for i in range(len(problems)):
        row: List[Optional[List[str]]] = []
        for c in range(samples):
            steps, ended = to_steps(tok, gens[i][c])
            row.append(steps if ended and steps else None)
        out.append(row)
    return out


def problems_of(rows: List[Dict]) -> List[Problem]:
    return [Problem(r, None) for r in rows]


def cmd_data(a) -> int:
    t0 = time.time()
    work = os.path.abspath(a.work)
    pdir = os.path.join(work, "problems")
    os.makedirs(work, exist_ok=True)
    node("models/recipes/make_demo_data.ts", "--out", pdir, "--seed", str(a.seed), "--train", str(a.problems),
         "--val", "0", "--test", "0", "--overwrite")
    held = {r["canonical"] for r in read_jsonl(os.path.join(DEMO, "problems.jsonl")) if r["split"] in ("val", "test")}
    rows_all = [r for r in read_jsonl(os.path.join(pdir, "problems.jsonl")) if r["split"] == "train"]
    rows = [r for r in rows_all if r["canonical"] not in held]
    problems = problems_of(rows)
    gens = sample(problems, pdir, "train", a.samples, a.temperature, a.seed, a.batch)
    log(f"{len(problems)} problems x {a.samples} samples in {time.time() - t0:.0f} s")
    cands = [(i, s) for i, row in enumerate(gens) for s in row if s is not None]
    tmp = tempfile.mkdtemp(prefix="steplab-prm-gold-")
    labs = label_all([{"canonical": problems[i].canonical, "image_count": problems[i].image_count, "steps": s} for i, s in cands], tmp)
    counts = collections.Counter()
    out = os.path.join(pdir, "gold-train.jsonl")
    rng = np.random.RandomState(a.seed)
    lines = []
    for (i, steps), lab in zip(cands, labs):
        p = problems[i]
        if strict_ok(lab):
            labels = [True] * len(steps)
            counts["positive"] += 1
        elif lab["firstError"] is None:
            counts["stopped_early"] += 1
            continue
        else:
            k = lab["firstError"]
            steps = steps[:k + 1]
            labels = [True] * k + [False]
            counts["negative"] += 1
        counts["steps"] += len(steps)
        lines.append(json.dumps({"prompt": p.question, "completions": steps, "labels": labels,
                                 "images": [p.row["image"]] if p.row.get("image") else []}))
    with open(out, "w", encoding="utf-8") as f:
        for k in rng.permutation(len(lines)):
            f.write(lines[k] + "\n")
    stats = {"seed": a.seed, "problems": len(problems), "dropped_heldout": len(rows_all) - len(rows), "samples": a.samples,
             "rows": len(lines), **counts, "seconds": round(time.time() - t0, 1), "file": out}
    with open(os.path.join(work, "gold-data.json"), "w", encoding="utf-8") as f:
        json.dump(stats, f, indent=2)
    print(json.dumps(stats))
    return 0


def cmd_evalset(a) -> int:
    t0 = time.time()
    work = os.path.abspath(a.work)
    os.makedirs(work, exist_ok=True)
    rows = [r for r in read_jsonl(os.path.join(DEMO, "problems.jsonl")) if r["split"] == a.split]
    problems = problems_of(rows)
    gens = sample(problems, DEMO, a.split, a.samples, a.temperature, a.seed, a.batch)
    cands = [(i, s) for i, row in enumerate(gens) for s in row if s is not None]
    tmp = tempfile.mkdtemp(prefix="steplab-prm-gold-")
    labs = label_all([{"canonical": problems[i].canonical, "image_count": problems[i].image_count, "steps": s} for i, s in cands], tmp)
    out = os.path.join(work, f"eval-{a.split}.jsonl")
    n = 0
    with open(out, "w", encoding="utf-8") as f:
        for (i, steps), lab in zip(cands, labs):
            p = problems[i]
            fe = lab["firstError"]
            ok = strict_ok(lab)
            labels = [1 if (fe is None or j < fe) else 0 for j in range(len(steps))]
            f.write(json.dumps({"prompt": p.question, "completions": steps, "labels": labels,
                                "images": [os.path.join(DEMO, p.row["image"])] if p.row.get("image") else [],
                                "problem": p.id, "correct": ok, "answer": (steps[-1] if steps else "")}) + "\n")
            n += 1
    log(f"{n} candidates of {len(problems)} {a.split} problems in {time.time() - t0:.0f} s -> {out}")
    return 0


def auc(scores: np.ndarray, pos: np.ndarray) -> Optional[float]:
    p, q = scores[pos], scores[~pos]
    if not len(p) or not len(q):
        return None
    order = np.argsort(np.concatenate([p, q]), kind="mergesort")
    ranks = np.empty(len(order))
    allv = np.concatenate([p, q])[order]
    i = 0
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and allv[j + 1] == allv[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[:len(p)].sum() - len(p) * (len(p) + 1) / 2) / (len(p) * len(q)))


def first_pred(s: Sequence[float], t: float) -> int:
    for j, v in enumerate(s):
        if not v > t:
            return j
    return -1


def pb_f1(rows: List[Dict], scores: List[List[float]], t: float) -> Dict:
    err_ok = err_n = ok_ok = ok_n = 0
    for r, s in zip(rows, scores):
        gold = next((j for j, l in enumerate(r["labels"]) if l == 0), -1)
        pred = first_pred(s, t)
        if gold == -1:
            ok_n += 1
            ok_ok += pred == -1
        else:
            err_n += 1
            err_ok += pred == gold
    acc_e, acc_c = err_ok / max(1, err_n), ok_ok / max(1, ok_n)
    f1 = 0.0 if acc_e + acc_c == 0 else 2 * acc_e * acc_c / (acc_e + acc_c)
    return {"threshold": t, "f1": round(100 * f1, 1), "error_acc": round(100 * acc_e, 1), "correct_acc": round(100 * acc_c, 1)}


ARITH = re.compile(r"^(\d+) ([-+*/]) (\d+) = (\d+)$")
COUNT = re.compile(r"^count = (\d+)$")


def twin_check(model: str, rows: List[Dict], scores: List[List[float]], base: str) -> Dict:
    """Minimal pairs: each distinct correct candidate once, one of its lines changed into a wrong twin (an
    arithmetic line's result +-1, or a count line's count +-1 within 1..9) and the path cut after it. The
    PRM's score of the right line against its twin's, at the same position after the same prefix (a step's
    score depends only on the steps up to it): a PRM that checks the line scores the right one higher;
    one that scores position, length or step kind cannot tell them apart (50%)."""
    from prm_score import score_rows  # noqa: E402
    rng = np.random.RandomState(1)
    seen = set()
    twins: Dict[str, List] = {"arithmetic": [], "count": []}
    for k, r in enumerate(rows):
        key = (r["prompt"], tuple(r["completions"]))
        if not r["correct"] or key in seen:
            continue
        seen.add(key)
        lines = r["completions"]
        for kind, rx in (("arithmetic", ARITH), ("count", COUNT)):
            js = [j for j, line in enumerate(lines) if rx.match(line)]
            if not js:
                continue
            j = js[rng.randint(len(js))]
            m = rx.match(lines[j])
            v = int(m.groups()[-1])
            lo, hi = (1, 9) if kind == "count" else (0, 10 ** 9)
            d = v + 1 if (v - 1 < lo or (v + 1 <= hi and rng.rand() < 0.5)) else v - 1
            twin = lines[j][: m.start(m.lastindex)] + str(d)
            twins[kind].append((k, j, lines[:j] + [twin]))
    out: Dict[str, Dict] = {}
    for kind, items in twins.items():
        if not items:
            continue
        trows = [{"line": i + 1, "prompt": rows[k]["prompt"], "steps": steps, "image": (os.path.join(base, rows[k]["images"][0]) if rows[k]["images"] else None)}
                 for i, (k, j, steps) in enumerate(items)]
        ts = score_rows(model, trows)
        w = sum(1.0 if scores[k][j] > ts[i][j] else 0.5 if scores[k][j] == ts[i][j] else 0.0 for i, (k, j, _) in enumerate(items))
        gap = float(np.mean([scores[k][j] - ts[i][j] for i, (k, j, _) in enumerate(items)]))
        out[kind] = {"pairs": len(items), "right_above_twin": round(100 * w / len(items), 1), "mean_score_gap": round(gap, 4)}
    return out


def cmd_eval(a) -> int:
    from prm_score import score_rows  # noqa: E402
    rows = read_jsonl(a.evalset)
    base = os.path.dirname(os.path.abspath(a.evalset))
    srows = [{"line": k + 1, "prompt": r["prompt"], "steps": r["completions"], "image": (os.path.join(base, r["images"][0]) if r["images"] else None)}
             for k, r in enumerate(rows)]
    t0 = time.time()
    scores = score_rows(a.model, srows)
    if a.scores:
        with open(a.scores, "w", encoding="utf-8") as f:
            json.dump(scores, f)
    flat = np.array([v for s in scores for v in s])
    lab = np.array([l == 1 for r in rows for l in r["labels"]])
    by_problem: Dict[str, List[int]] = collections.defaultdict(list)
    for k, r in enumerate(rows):
        by_problem[r["problem"]].append(k)
    aggs = {"min": lambda s: min(s), "last": lambda s: s[-1], "product": lambda s: float(np.prod(s))}
    pairs = collections.Counter()
    per_problem = []  # (wins, pairs) of each problem with both kinds, for the bootstrap over problems
    for ks in by_problem.values():
        good = [k for k in ks if rows[k]["correct"]]
        bad = [k for k in ks if not rows[k]["correct"]]
        w = 0.0
        for g in good:
            for b in bad:
                x, y = min(scores[g]), min(scores[b])
                pairs["n"] += 1
                w += 1.0 if x > y else 0.5 if x == y else 0.0
        pairs["win"] += w
        if good and bad:
            per_problem.append((w, len(good) * len(bad)))
    rng = np.random.RandomState(0)
    pw = np.array(per_problem)
    boot = []
    for _ in range(1000):
        take = pw[rng.randint(0, len(pw), len(pw))]
        boot.append(100 * take[:, 0].sum() / take[:, 1].sum())
    # Best-of-N over the first N candidates of each problem, in expectation over ties
    bon = {}
    for n in (1, 2, 4, 8):
        res = collections.defaultdict(float)
        m = 0
        for ks in by_problem.values():
            ks = ks[:n]
            if len(ks) < n:
                continue
            m += 1
            res["random"] += sum(rows[k]["correct"] for k in ks) / len(ks)
            res["pass"] += float(any(rows[k]["correct"] for k in ks))
            votes = collections.Counter(rows[k]["answer"] for k in ks)
            top = max(votes.values())
            winners = [ans for ans, c in votes.items() if c == top]
            res["majority"] += sum(float(any(rows[k]["correct"] for k in ks if rows[k]["answer"] == w)) and
                                   sum(rows[k]["correct"] for k in ks if rows[k]["answer"] == w) / sum(1 for k in ks if rows[k]["answer"] == w)
                                   for w in winners) / len(winners)
            for name, f in aggs.items():
                vals = [f(scores[k]) for k in ks]
                best = max(vals)
                tied = [k for k, v in zip(ks, vals) if v == best]
                res[name] += sum(rows[k]["correct"] for k in tied) / len(tied)
        bon[str(n)] = {k: round(100 * v / max(1, m), 1) for k, v in res.items()}
    sweep = [pb_f1(rows, scores, t / 100) for t in range(0, 101, 5)]
    best = max(sweep, key=lambda d: d["f1"])
    pos = collections.defaultdict(list)
    for r, s in zip(rows, scores):
        if r["correct"]:
            for j, v in enumerate(s):
                pos[min(j + 1, 7)].append(v)
    twins = twin_check(a.model, rows, scores, base)
    out = {
        "model": a.model, "candidates": len(rows), "problems": len(by_problem), "steps": int(len(flat)),
        "pairwise_min": round(100 * pairs["win"] / max(1, pairs["n"]), 1), "pairs": pairs["n"],
        "pairwise_min_95": [round(float(np.percentile(boot, 2.5)), 1), round(float(np.percentile(boot, 97.5)), 1)],
        "step_auc": round(100 * (auc(flat, lab) or 0), 1),
        "processbench_0.5": pb_f1(rows, scores, 0.5), "processbench_best": best,
        "bon": bon, "correct_step_score_by_position": {str(k): round(float(np.mean(v)), 3) for k, v in sorted(pos.items())},
        "twins": twins,
        "seconds": round(time.time() - t0, 1),
    }
    txt = json.dumps(out)
    print(txt)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(txt + "\n")
    return 0


def cmd_deepen(a) -> int:
    """A base with `--layers` more decoder layers on top of `--base`, added as an identity: each new layer's
    attention output and MLP down projections are zero, so the model computes what the base computes until
    training moves them. The folder is the base's, with the new checkpoint and config."""
    import dataclasses
    import shutil
    from steplab_decoder import LlamaForCausalLM, save_checkpoint
    if os.path.exists(a.out):
        log(f"{a.out} exists; choose a new folder")
        return 2
    model, vision, extra = load_checkpoint(os.path.join(a.base, CHECKPOINT_FILE))
    cfg = dataclasses.replace(model.config, num_hidden_layers=model.config.num_hidden_layers + a.layers)
    torch.manual_seed(a.seed)
    deep = LlamaForCausalLM(cfg)
    missing = deep.load_state_dict(model.state_dict(), strict=False)
    if missing.unexpected_keys:
        raise SystemExit(f"unexpected keys {missing.unexpected_keys}")
    with torch.no_grad():
        for layer in deep.model.layers[model.config.num_hidden_layers:]:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
    shutil.copytree(a.base, a.out, ignore=shutil.ignore_patterns("onnx", CHECKPOINT_FILE, "*.md"))
    save_checkpoint(os.path.join(a.out, CHECKPOINT_FILE), deep, vision, extra)
    with open(os.path.join(a.out, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    config["num_hidden_layers"] = cfg.num_hidden_layers
    with open(os.path.join(a.out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    x = torch.randint(3, cfg.vocab_size, (1, 32))
    gap = float((deep(x)[0] - model(x)[0]).abs().max())
    log(f"{a.out}: {cfg.num_hidden_layers} layers ({a.layers} new, identity: max logit gap {gap:.1e})")
    return 0


def read_scores(path: str) -> Optional[List[List[float]]]:
    """The step scores of a prm_score.py scores file, or None (after one line saying so) when it is not one."""
    try:
        with open(path, encoding="utf-8") as f:
            return [e["scores"] for e in json.load(f)]
    except (ValueError, TypeError, KeyError):
        log(f'{path}: not a prm_score.py scores file ([{{"scores": [...]}}, ...], one entry per row)')
        return None


def cmd_relabel(a) -> int:
    """TRL rows with each step's label replaced by a score of prm_score.py's scores file (e.g. the policy's
    likelihood), as soft labels. Written beside the rows when they name their pictures by relative paths."""
    scores = read_scores(a.scores)
    if scores is None:
        return 2
    rows = read_jsonl(a.rows)
    moved = os.path.dirname(os.path.abspath(a.out)) != os.path.dirname(os.path.abspath(a.rows))
    if moved and any(not (i.startswith("data:") or os.path.isabs(i)) for r in rows for i in r.get("images") or []):
        log(f"{a.rows}: its image paths are relative to its folder; write --out into that folder")
        return 2
    if len(rows) != len(scores):
        log(f"{a.scores}: {len(scores)} entries for {len(rows)} rows of {a.rows}")
        return 2
    with open(a.out, "w", encoding="utf-8") as f:
        for n, (r, s) in enumerate(zip(rows, scores), start=1):
            if len(s) != len(r["completions"]):
                log(f"{a.scores}: entry {n} has {len(s)} scores for {len(r['completions'])} steps")
                return 2
            f.write(json.dumps({**r, "labels": [round(float(v), 5) for v in s]}) + "\n")
    log(f"{len(rows)} rows written to {a.out}")
    return 0


def first_error_rates(rows: List[Dict], scores: List[List[float]], tau: float) -> Tuple[float, float, int]:
    """(share of wrong rows whose first step scoring under tau is their first 0 label, share of right rows
    with no step under tau, number of wrong rows)."""
    hit = wrong = kept = right = 0
    for r, s in zip(rows, scores):
        first = next((i for i, v in enumerate(s) if v < tau), None)
        if 0 in r["labels"]:
            wrong += 1
            hit += first == r["labels"].index(0)
        else:
            right += 1
            kept += first is None
    return hit / max(wrong, 1), kept / max(right, 1), wrong


def cmd_firsterror(a) -> int:
    """Where step scores put the first wrong step: the first step under τ, τ chosen on the val rows (0.01 to
    0.99 by 0.01, the best share of wrong rows whose gold first wrong step it names), then applied to the test
    rows. Rows are TRL rows with gold step labels (1 before the first wrong step, 0 there)."""
    sets = []
    for rows_path, scores_path in ((a.val_rows, a.val_scores), (a.test_rows, a.test_scores)):
        rows = read_jsonl(rows_path)
        scores = read_scores(scores_path)
        if scores is None:
            return 2
        if any("labels" not in r for r in rows):
            log(f"{rows_path}: every row needs its gold \"labels\"")
            return 2
        if len(rows) != len(scores) or any(len(s) != len(r["labels"]) for r, s in zip(rows, scores)):
            log(f"{scores_path}: its scores do not match the rows and steps of {rows_path}")
            return 2
        sets.append((rows, scores))
    taus = [round(0.01 * k, 2) for k in range(1, 100)]
    tau = max(taus, key=lambda t: first_error_rates(*sets[0], t)[0])
    out = {"tau": tau}
    for name, (rows, scores) in zip(("val", "test"), sets):
        named, kept, wrong = first_error_rates(rows, scores, tau)
        out[name] = {"wrong_rows": wrong, "first_error_exact": round(100 * named, 1), "correct_rows_with_no_step_under_tau": round(100 * kept, 1)}
    print(json.dumps(out))
    return 0


@torch.no_grad()
def cmd_recompute(a) -> int:
    from prm_score import Loaded, read_rows  # noqa: E402  (prm_score's reader and model loading)
    from steplab_model import STEP_DELIMITER, render_prompt  # noqa: E402
    try:
        rows = read_rows(a.rows)
        raw = read_jsonl(a.rows)
    except (OSError, ValueError) as e:
        log(f"{a.rows}: {e.strerror}" if isinstance(e, OSError) and e.strerror else str(e))
        return 1
    m = Loaded(a.model, "policy", [])
    template = m.manifest.get("promptTemplate")

    def greedy(r: Dict, ids: List[int]) -> str:
        out = ""
        for _ in range(8):
            t = int(m.logits(r, ids)[-1].argmax())
            if t == m.tok.eos_id:
                break
            ch = m.tok.decode([t], skip_special=True)
            if ch == STEP_DELIMITER:
                break
            out += ch
            ids = ids + [t]
        return out.strip()

    read = []
    for r, x in zip(rows, raw):
        labels = x.get("labels")
        if r["image"] is not None or not isinstance(labels, list) or 0 not in labels:
            continue
        k = labels.index(0)
        mm = ARITH_RE.match(r["steps"][k])
        if not mm:
            continue
        lhs, op, rhs, c = mm.groups()
        v = calculator_value(int(lhs), op, int(rhs))  # the PRM's calculator; a division that is not whole is left out
        if v is None or "." in v or v == str(int(c)):
            continue
        expr = f"{lhs} {op} {rhs} ="
        ctx = lambda steps: m.tok.encode_prompt(render_prompt(r["prompt"], False, template), m.image_tokens) + m.tok.encode("".join(st + STEP_DELIMITER for st in steps) + expr, add_bos=False)
        read.append({"line": r["line"], "step": k + 1, "value": v, "written": c,
                     "in_context": greedy(r, ctx(r["steps"][:k])), "next_line": greedy(r, ctx(r["steps"][:k + 1]))})
        if a.limit and len(read) >= a.limit:
            break
    if not read:
        log(f"{a.rows}: no text row whose first wrong step (gold labels) is an `a op b = c` line with a wrong result")
        return 1
    pct = lambda n: round(100 * n / len(read), 1)
    out = {"rows": len(read)}
    for where in ("in_context", "next_line"):
        right = sum(x[where] == x["value"] for x in read)
        same = sum(x[where] == x["written"] for x in read)
        out[where] = {"right": pct(right), "same_wrong": pct(same), "other": pct(len(read) - right - same)}
    if a.json:
        print(json.dumps({**out, "rows_read": read}))
    else:
        print(f"{len(read)} rows whose first wrong step is a wrong result; the policy's greedy value after `a op b =` (% right / the same wrong value / another)")
        for where, what in (("in_context", "in the row's context, in place of the line"), ("next_line", "the expression written again as the next line")):
            print(f"  {what}: {out[where]['right']} / {out[where]['same_wrong']} / {out[where]['other']}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("data")
    d.add_argument("--work", required=True)
    d.add_argument("--seed", type=int, default=31)
    d.add_argument("--problems", type=int, default=12000)
    d.add_argument("--samples", type=int, default=2)
    d.add_argument("--temperature", type=float, default=0.8)
    d.add_argument("--batch", type=int, default=64)
    e = sub.add_parser("evalset")
    e.add_argument("--work", required=True)
    e.add_argument("--split", default="val")
    e.add_argument("--samples", type=int, default=8)
    e.add_argument("--temperature", type=float, default=0.8)
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--batch", type=int, default=64)
    v = sub.add_parser("eval")
    v.add_argument("--model", required=True)
    v.add_argument("--evalset", required=True)
    v.add_argument("--out", default=None)
    v.add_argument("--scores", default=None, help="also write the step scores (one list per candidate) here")
    g = sub.add_parser("deepen")
    g.add_argument("--base", required=True)
    g.add_argument("--out", required=True)
    g.add_argument("--layers", type=int, default=2)
    g.add_argument("--seed", type=int, default=0)
    r = sub.add_parser("relabel")
    r.add_argument("--rows", required=True)
    r.add_argument("--scores", required=True)
    r.add_argument("--out", required=True)
    fe = sub.add_parser("firsterror")
    for k in ("val-rows", "val-scores", "test-rows", "test-scores"):
        fe.add_argument(f"--{k}", required=True)
    rc = sub.add_parser("recompute")
    rc.add_argument("--model", default=POLICY)
    rc.add_argument("--rows", required=True)
    rc.add_argument("--limit", type=int, default=0)
    rc.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(1)
    return {"data": cmd_data, "evalset": cmd_evalset, "eval": cmd_eval, "deepen": cmd_deepen, "relabel": cmd_relabel,
            "firsterror": cmd_firsterror, "recompute": cmd_recompute}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
