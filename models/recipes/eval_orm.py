"""Evaluates demo outcome reward models (ORMs) on held-out tiny-policy solutions and writes the numbers
into the diagnostic ORM's folder (METRICS.md and manifest.json provenance.metrics.evaluation).

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/recipes/eval_orm.py --orm models/tiny-orm \\
        --binary /tmp/orm-build/orm-binary [--prm models/tiny-prm] [--samples 2] [--parity 8]

Solutions: `--samples` tiny-policy samples at T 0.8 (seed --seed) for every problem of the bundled val
and test splits; those cut at the token limit or empty are left out. Gold (labelSolution through
demo_tool.ts): CORRECT when strictly right, else WRONG with the 1-based first wrong line (image
problems' `count = k` is line 1) and the checker's diagnosis. Each ORM reads
steplab_model.format_orm_input and generates greedily (--max-new-tokens, default 160); the output is
read with parse_orm_output (orm.ts parseOrmOutput's twin).

Metrics (test split; val only chooses thresholds):
  verdict accuracy    the parsed status against gold; a parse failure counts as a wrong verdict
  first error         on WRONG solutions with a wrong line: the ORM's error_step equals the gold line
                      (exact) or is within one line (+-1); parse failures and CORRECT verdicts are misses
  PRM threshold       baseline: the first step whose tiny-prm score is < tau, tau chosen on val to
                      maximise exact first-error accuracy there (and, for the PRM's verdict, WRONG
                      when some step is < tau_v, tau_v chosen on val for verdict accuracy)
  position prior      baseline: always the most common gold first-error line on val
  diagnosis           error_analysis equals the checker's diagnosis string exactly (suggestion too)
The folder is also run through check_export.ts (export_onnx.py's parity fixture: manifest valid,
onnxruntime-node and transformers.js against PyTorch; stored as provenance.metrics.export_check), and
--parity N also runs orm_check.ts on N test cases: loadModel, renderOrmPrompt, greedy tokens through
onnxruntime-node and parseOrmOutput against PyTorch.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from steplab_model import (  # noqa: E402
    CHECKPOINT_FILE,
    REPO_ROOT,
    CharTokenizer,
    ORM_CHECK_SEPARATOR,
    first_json_object,
    format_orm_input,
    generate,
    orm_provenance,
    load_checkpoint,
    parse_orm_output,
)
from eval_policy import Problem, label_all, read_jsonl, run_generation, strict_ok, to_steps  # noqa: E402
from make_orm_data import suggestion_for  # noqa: E402
import prm_score  # noqa: E402
from export_onnx import parity_fixture, run_check  # noqa: E402


def log(msg: str) -> None:
    print(f"[eval_orm] {msg}", file=sys.stderr, flush=True)


def node_tool(*args: str) -> None:
    subprocess.run(["node", "bin/run-ts.js", "models/recipes/demo_tool.ts", *args], cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL)


def pct(x: float) -> float:
    return round(100.0 * x, 1)


def load_split(args, split: str, work: str):
    rows = [r for r in read_jsonl(os.path.join(args.demo_data, "problems.jsonl")) if r["split"] == split]
    if args.limit:
        keep = {r["id"] for r in rows[:args.limit]}
        rows = rows[:args.limit]
    pix_file = os.path.join(work, f"pixels-{split}.u8")
    node_tool("pixels", "--data", os.path.abspath(args.demo_data), "--split", split, "--out", pix_file)
    with open(pix_file + ".json", encoding="utf-8") as f:
        header = json.load(f)
    pix = np.fromfile(pix_file, dtype=np.uint8).reshape(header["shape"])
    index = {pid: i for i, pid in enumerate(header["ids"])}
    if args.limit:
        sel = [i for i, pid in enumerate(header["ids"]) if pid in keep]
        pix = pix[sel]
        index = {header["ids"][i]: k for k, i in enumerate(sel)}
    problems = [Problem(r, index[r["id"]] if r.get("image_count") is not None else None) for r in rows]
    return problems, pix


def policy_solutions(args, problems: List[Problem], pix: np.ndarray, work: str, seed: int) -> List[Dict]:
    model, vision, _ = load_checkpoint(os.path.join(args.policy, CHECKPOINT_FILE))
    model.eval()
    tok = CharTokenizer.from_file(os.path.join(args.policy, "tokenizer.json"))
    feats = None
    if vision is not None and len(pix):
        with torch.no_grad():
            vision.eval()
            feats = vision(vision.normalise(torch.from_numpy(pix)))
    gens = run_generation(model, tok, feats, problems, vision.config.tokens if vision else 1, args.samples, 0.8, 128, 64, seed)
    sols = []
    left_out = 0
    for i, p in enumerate(problems):
        for c in range(args.samples):
            steps, ended = to_steps(tok, gens[i][c])
            if not ended or not steps:
                left_out += 1
                continue
            sols.append({"problem": i, "steps": steps})
    labels = label_all([{"canonical": problems[s["problem"]].canonical, "image_count": problems[s["problem"]].image_count, "steps": s["steps"]}
                        for s in sols], work)
    for s, lab in zip(sols, labels):
        s["gold_status"] = "CORRECT" if strict_ok(lab) else "WRONG"
        s["gold_step"] = None if strict_ok(lab) or lab["firstError"] is None else lab["firstError"] + 1
        s["gold_diagnosis"] = lab["diagnosis"]
        s["gold_suggestion"] = suggestion_for(lab) if s["gold_step"] else ""
    log(f"{len(sols)} solutions ({left_out} left out: cut or empty), {sum(s['gold_status'] == 'CORRECT' for s in sols)} CORRECT")
    return sols


def orm_outputs(model_dir: str, problems: List[Problem], pix: np.ndarray, sols: List[Dict], max_new: Optional[int], batch: int) -> Dict:
    with open(os.path.join(model_dir, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    max_new = max_new or int((manifest.get("parameters") or {}).get("maxNewTokens") or 160)
    tmpl = manifest.get("ormTemplate") or {}
    binary = tmpl.get("kind") == "binary"
    model, vision, _ = load_checkpoint(os.path.join(model_dir, CHECKPOINT_FILE))
    model.eval()
    tok = CharTokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    image_tokens = vision.config.tokens if vision is not None else 1
    feats = None
    if vision is not None and len(pix):
        with torch.no_grad():
            vision.eval()
            feats = vision(vision.normalise(torch.from_numpy(pix)))
    orm_metrics = orm_provenance(manifest)
    numbered = bool(orm_metrics.get("numbered"))
    prm_layout = orm_metrics.get("prm_layout")  # an experiment: the PRM's layout with <prm> tags (trainer_orm.py)
    texts = [format_orm_input(problems[s["problem"]].question, s["steps"], problems[s["problem"]].image is not None, tmpl.get("verdict", "V:\n"),
                              numbered=numbered, prm_layout=prm_layout, calculator=orm_metrics.get("calculator"))
             for s in sols]
    prompts = [tok.encode_prompt(t, image_tokens) for t in texts]
    order = sorted(range(len(sols)), key=lambda k: len(prompts[k]))
    out_tokens: List[Optional[List[int]]] = [None] * len(sols)
    t0 = time.time()
    for b0 in range(0, len(order), batch):
        chunk = order[b0:b0 + batch]
        imgs = [problems[sols[k]["problem"]].image for k in chunk if problems[sols[k]["problem"]].image is not None]
        f = feats[torch.tensor(imgs)] if imgs else None
        res = generate(model, [prompts[k] for k in chunk], max_new, tok.eos_id, tok.pad_id, image_token_id=tok.image_id, image_features=f)
        for k, r in zip(chunk, res):
            out_tokens[k] = r
    seconds = time.time() - t0
    parsed, gen_texts = [], []
    for s, toks in zip(sols, out_tokens):
        body = toks[:-1] if toks and toks[-1] == tok.eos_id else toks
        text = tok.decode(body)
        gen_texts.append(text)
        parsed.append(parse_orm_output(text, len(s["steps"]), binary))
    return {"binary": binary, "texts": texts, "prompts": prompts, "tokens": out_tokens, "outputs": gen_texts, "parsed": parsed,
            "seconds": seconds, "manifest": manifest, "max_new": max_new,
            "longest_prompt_plus_output": max(len(p) + len(t or []) for p, t in zip(prompts, out_tokens))}


def error_kind(diagnosis: str) -> str:
    """The kind of a checker diagnosis (check.ts reason forms)."""
    r = re.sub(r"^step \d+:\s*", "", diagnosis)
    for kind, pat in (("slip", r"^\d+ [-+*/] \d+ is "), ("start value", r"^should start from "),
                      ("operand", r"^should (add|subtract|multiply by|divide by) \S+, not \d+$"),
                      ("operation", r"^should (add|subtract|multiply by|divide by) \S+, not "),
                      ("bags operands", r"^should be \d+ [-+*/] \d+, not "), ("count", r"^the picture shows "),
                      ("answer", r"^answer is "), ("missing lines", r"^missing, ")):
        if re.match(pat, r):
            return kind
    return "other"


def checks_of(text: str) -> Optional[List[str]]:
    obj = first_json_object(text)
    try:
        v = json.loads(obj) if obj else None
    except json.JSONDecodeError:
        return None
    c = v.get("checks") if isinstance(v, dict) else None
    if isinstance(c, str):
        return c.split(ORM_CHECK_SEPARATOR)
    return c if isinstance(c, list) and all(isinstance(x, str) for x in c) else None


def checks_metrics(sols: List[Dict], res: Dict) -> Optional[Dict]:
    """For a checking ORM: how often its checks are present, whether its error_step is the line of its
    first ` not ` mark (and CORRECT when there is none), and, on gold-WRONG solutions, whether that first
    ` not ` mark sits on the gold first wrong line."""
    checks = [checks_of(t) for t in res["outputs"]]
    have = [i for i, c in enumerate(checks) if c is not None]
    if not have:
        return None

    def first_not(c: List[str]) -> Optional[int]:
        for x in c:
            if " not " in x:
                m = re.match(r"^(\d+):", x)
                return int(m.group(1)) if m else -1
        return None

    consistent = 0
    for i in have:
        p = res["parsed"][i]
        if not p["ok"]:
            continue
        fn = first_not(checks[i])
        consistent += (p["status"] == "CORRECT" and fn is None) or (p["status"] == "WRONG" and fn == p["error_step"])
    gw = [i for i, s in enumerate(sols) if s["gold_step"] is not None]
    marked = sum(1 for i in gw if checks[i] is not None and first_not(checks[i]) == sols[i]["gold_step"])
    return {"with_checks": pct(len(have) / len(sols)), "verdict_follows_checks": pct(consistent / max(1, len(have))),
            "first_not_mark_on_gold_line": pct(marked / max(1, len(gw)))}


def prm_scores(prm_dir: str, problems: List[Problem], sols: List[Dict], demo_data: str) -> List[List[float]]:
    rows = []
    for k, s in enumerate(sols):
        p = problems[s["problem"]]
        img = os.path.join(os.path.abspath(demo_data), p.row["image"]) if p.row.get("image") else None
        rows.append({"line": k + 1, "prompt": p.question, "steps": s["steps"], "image": img})
    return prm_score.score_rows(prm_dir, rows)


def first_below(scores: Sequence[float], tau: float) -> Optional[int]:
    return next((i + 1 for i, v in enumerate(scores) if v < tau), None)


def verdict_metrics(sols: List[Dict], parsed: List[Dict]) -> Dict:
    n = len(sols)
    ok = [p["ok"] for p in parsed]
    pred = [p["status"] if p["ok"] else None for p in parsed]
    gold = [s["gold_status"] for s in sols]
    acc = sum(1 for a, b in zip(pred, gold) if a == b) / n
    w = [i for i in range(n) if gold[i] == "WRONG"]
    c = [i for i in range(n) if gold[i] == "CORRECT"]
    return {"n": n, "correct_solutions": len(c), "wrong_solutions": len(w), "accuracy": pct(acc),
            "wrong_recall": pct(sum(pred[i] == "WRONG" for i in w) / max(1, len(w))),
            "correct_recall": pct(sum(pred[i] == "CORRECT" for i in c) / max(1, len(c))),
            "parse_failures": pct(1 - sum(ok) / n),
            "majority_class_accuracy": pct(max(len(w), len(c)) / n)}


def first_error_metrics(sols: List[Dict], pred_steps: List[Optional[int]], parsed: Optional[List[Dict]] = None) -> Dict:
    idx = [i for i, s in enumerate(sols) if s["gold_step"] is not None]
    n = len(idx)
    exact = sum(1 for i in idx if pred_steps[i] == sols[i]["gold_step"])
    near = sum(1 for i in idx if pred_steps[i] is not None and abs(pred_steps[i] - sols[i]["gold_step"]) <= 1)
    out = {"n": n, "exact": pct(exact / max(1, n)), "within_1": pct(near / max(1, n)),
           "no_step_given": pct(sum(1 for i in idx if pred_steps[i] is None) / max(1, n))}
    if parsed is not None:
        out["parse_failures"] = pct(sum(1 for i in idx if not parsed[i]["ok"]) / max(1, n))
        out["said_correct"] = pct(sum(1 for i in idx if parsed[i]["ok"] and parsed[i]["status"] == "CORRECT") / max(1, n))
        out["diagnosis_exact"] = pct(sum(1 for i in idx if parsed[i]["ok"] and parsed[i]["error_analysis"] == sols[i]["gold_diagnosis"]) / max(1, n))
        out["suggestion_exact"] = pct(sum(1 for i in idx if parsed[i]["ok"] and parsed[i]["improvement_suggestion"] == sols[i]["gold_suggestion"]) / max(1, n))
        hit = [i for i in idx if pred_steps[i] == sols[i]["gold_step"]]
        out["diagnosis_exact_when_step_right"] = pct(sum(1 for i in hit if parsed[i]["error_analysis"] == sols[i]["gold_diagnosis"]) / max(1, len(hit)))
    return out


def by_error_kind(sols: List[Dict], pred_steps: List[Optional[int]]) -> Dict[str, Dict]:
    groups = collections.defaultdict(list)
    for i, s in enumerate(sols):
        if s["gold_step"] is not None:
            groups[error_kind(s["gold_diagnosis"])].append(i)
    return {k: {"n": len(v), "exact": pct(sum(pred_steps[i] == sols[i]["gold_step"] for i in v) / len(v))}
            for k, v in sorted(groups.items(), key=lambda kv: -len(kv[1]))}


def by_gold_step(sols: List[Dict], pred_steps: List[Optional[int]]) -> Dict[str, Dict]:
    groups = collections.defaultdict(list)
    for i, s in enumerate(sols):
        if s["gold_step"] is not None:
            groups[s["gold_step"]].append(i)
    return {str(k): {"n": len(v), "exact": pct(sum(pred_steps[i] == k for i in v) / len(v))} for k, v in sorted(groups.items())}


def parity(model_dir: str, problems: List[Problem], sols: List[Dict], res: Dict, demo_data: str, n: int, max_new: int, work: str) -> Dict:
    """orm_check.ts on n cases: text and image problems, gold CORRECT and WRONG."""
    picks: List[int] = []
    for want_img, want_status in ((False, "CORRECT"), (False, "WRONG"), (True, "WRONG"), (True, "CORRECT")):
        picks += [k for k, s in enumerate(sols) if (problems[s["problem"]].image is not None) == want_img and s["gold_status"] == want_status][: max(1, n // 4)]
    cases = []
    for k in picks[:n]:
        p = problems[sols[k]["problem"]]
        parsed = res["parsed"][k]
        cases.append({"question": p.question, "steps": sols[k]["steps"],
                      "image": os.path.join(os.path.abspath(demo_data), p.row["image"]) if p.row.get("image") else None,
                      "input_text": res["texts"][k], "prompt_ids": res["prompts"][k], "tokens": res["tokens"][k],
                      "parse": parsed if parsed["ok"] else {"ok": False}})
    fx = os.path.join(work, "orm-check.json")
    with open(fx, "w", encoding="utf-8") as f:
        json.dump({"max_new_tokens": max_new, "cases": cases}, f)
    out = subprocess.run(["node", "bin/run-ts.js", "models/recipes/orm_check.ts", "--model", os.path.abspath(model_dir), "--fixture", fx],
                         cwd=REPO_ROOT, capture_output=True, text=True)
    sys.stderr.write(out.stderr)
    lines = [l for l in out.stdout.splitlines() if l.strip()]
    if not lines:
        return {"ok": False, "failures": [f"orm_check.ts exit {out.returncode}"]}
    return json.loads(lines[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orm", required=True, help="the diagnostic ORM folder (METRICS.md and the manifest metrics are written here)")
    ap.add_argument("--binary", default=None, help="a binary ORM folder to compare (not written to)")
    ap.add_argument("--baseline", default=None, help="an earlier diagnostic ORM folder to compare (not written to), e.g. tiny-orm v1")
    ap.add_argument("--policy", default=os.path.join(REPO_ROOT, "models", "tiny-policy"))
    ap.add_argument("--prm", default=os.path.join(REPO_ROOT, "models", "tiny-prm"))
    ap.add_argument("--demo-data", default=os.path.join(REPO_ROOT, "models", "demo-data"))
    ap.add_argument("--samples", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--max-new-tokens", type=int, default=None, help="default: each model's manifest parameters.maxNewTokens")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--parity", type=int, default=8, help="cases for orm_check.ts (0: skip)")
    ap.add_argument("--limit", type=int, default=None, help="first N problems of each split (a smoke test)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    t_start = time.time()
    work = tempfile.mkdtemp(prefix="steplab-eval-orm-")
    models = [("diagnostic", args.orm)] + ([("baseline", args.baseline)] if args.baseline else []) + ([("binary", args.binary)] if args.binary else [])
    data: Dict[str, Dict] = {}
    for split, seed in (("val", args.seed + 1), ("test", args.seed)):
        problems, pix = load_split(args, split, work)
        sols = policy_solutions(args, problems, pix, work, seed)
        d = {"problems": problems, "sols": sols, "orm": {}}
        for name, folder in models:
            d["orm"][name] = orm_outputs(folder, problems, pix, sols, args.max_new_tokens, args.batch)
            log(f"{split}: {name} ORM generated {len(sols)} verdicts in {d['orm'][name]['seconds']:.0f} s")
        t0 = time.time()
        d["prm"] = prm_scores(args.prm, problems, sols, args.demo_data)
        log(f"{split}: tiny-prm scored {len(sols)} solutions in {time.time() - t0:.0f} s")
        data[split] = d

    # thresholds on val
    val = data["val"]
    taus = [round(x, 3) for x in np.arange(0.02, 0.99, 0.01)]
    val_w = [i for i, s in enumerate(val["sols"]) if s["gold_step"] is not None]

    def fe_exact(d, tau):
        return sum(1 for i, s in enumerate(d["sols"]) if s["gold_step"] is not None and first_below(d["prm"][i], tau) == s["gold_step"])

    def v_acc(d, tau):
        return sum(1 for i, s in enumerate(d["sols"]) if (first_below(d["prm"][i], tau) is not None) == (s["gold_status"] == "WRONG"))

    tau_fe = max(taus, key=lambda t: (fe_exact(val, t), -abs(t - 0.5)))
    tau_v = max(taus, key=lambda t: (v_acc(val, t), -abs(t - 0.5)))
    prior_step = collections.Counter(val["sols"][i]["gold_step"] for i in val_w).most_common(1)[0][0]
    log(f"val: tau (first error) {tau_fe}, tau (verdict) {tau_v}, position prior: line {prior_step}")

    results: Dict[str, Dict] = {}
    for split in ("val", "test"):
        d = data[split]
        sols = d["sols"]
        r: Dict[str, Dict] = {"solutions": {"n": len(sols), "correct": sum(s["gold_status"] == "CORRECT" for s in sols),
                                            "wrong_with_line": sum(s["gold_step"] is not None for s in sols),
                                            "text": sum(d["problems"][s["problem"]].image is None for s in sols)}}
        for name, res in d["orm"].items():
            parsed = res["parsed"]
            block = {"verdict": verdict_metrics(sols, parsed)}
            if not res["binary"]:
                steps = [p["error_step"] if p["ok"] and p["status"] == "WRONG" else None for p in parsed]
                block["first_error"] = first_error_metrics(sols, steps, parsed)
                block["first_error_by_gold_line"] = by_gold_step(sols, steps)
                block["first_error_by_kind"] = by_error_kind(sols, steps)
                cm = checks_metrics(sols, res)
                if cm:
                    block["checks"] = cm
            for kind in ("text", "image"):
                idx = [i for i, s in enumerate(sols) if (d["problems"][s["problem"]].image is None) == (kind == "text")]
                block[f"verdict_{kind}"] = verdict_metrics([sols[i] for i in idx], [parsed[i] for i in idx])
            block["generation_seconds"] = round(res["seconds"], 1)
            block["max_new_tokens"] = res["max_new"]
            block["longest_prompt_plus_output"] = res["longest_prompt_plus_output"]
            r[f"orm_{name}"] = block
        prm_steps = [first_below(sc, tau_fe) for sc in d["prm"]]
        r["prm_threshold"] = {"tau_first_error": tau_fe, "tau_verdict": tau_v, "first_error": first_error_metrics(sols, prm_steps),
                              "first_error_by_gold_line": by_gold_step(sols, prm_steps),
                              "verdict": verdict_metrics(sols, [{"ok": True, "status": "WRONG" if first_below(sc, tau_v) else "CORRECT"} for sc in d["prm"]])}
        prior = [min(prior_step, len(s["steps"])) for s in sols]
        r["position_prior"] = {"line": prior_step, "first_error": first_error_metrics(sols, prior), "first_error_by_kind": by_error_kind(sols, prior)}
        results[split] = r

    model, vision, _ = load_checkpoint(os.path.join(args.orm, CHECKPOINT_FILE))
    fx = os.path.join(work, "export-fixture.json")
    parity_fixture(model, vision, CharTokenizer.from_file(os.path.join(args.orm, "tokenizer.json")), fx)
    export_check = run_check(args.orm, fx)
    log(f"check_export.ts: ok {export_check.get('ok')}, failures {export_check.get('failures')}")
    check = None
    if args.parity:
        t = data["test"]
        check = parity(args.orm, t["problems"], t["sols"], t["orm"]["diagnostic"], args.demo_data, args.parity, t["orm"]["diagnostic"]["max_new"], work)
        log(f"orm_check.ts: {json.dumps({k: v for k, v in check.items() if k != 'sample_outputs'})}")
    examples = []
    t = data["test"]
    res = t["orm"]["diagnostic"]
    for k, s in enumerate(t["sols"]):
        if s["gold_step"] is not None and len(examples) < 4:
            examples.append({"input": res["texts"][k], "output": res["outputs"][k], "gold_step": s["gold_step"], "gold_diagnosis": s["gold_diagnosis"]})
    evaluation = {"split": "test (thresholds and the position prior from val)", "samples_per_problem": args.samples, "policy_temperature": 0.8,
                  "seed": args.seed, "max_new_tokens": data["test"]["orm"]["diagnostic"]["max_new"], "test": results["test"], "val": results["val"],
                  "orm_check": check, "seconds": round(time.time() - t_start, 1)}
    ev_export = export_check
    print(json.dumps({"test": results["test"], "val": results["val"], "orm_check": check}, indent=1))
    with open(os.path.join(work, "examples.json"), "w", encoding="utf-8") as f:
        json.dump(examples, f, indent=1)
    log(f"examples: {os.path.join(work, 'examples.json')}")
    if not args.no_write:
        write(args, evaluation, examples, ev_export)
    return 0 if (check is None or check.get("ok")) and export_check.get("ok") else 1


def write(args, ev: Dict, examples: List[Dict], export_check: Dict) -> None:
    mf = os.path.join(args.orm, "manifest.json")
    with open(mf, encoding="utf-8") as f:
        manifest = json.load(f)
    manifest["provenance"].setdefault("metrics", {})["evaluation"] = ev
    manifest["provenance"]["metrics"]["export_check"] = export_check
    with open(mf, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
    t = ev["test"]
    v_d = t["orm_diagnostic"]["verdict"]
    v_b = t.get("orm_binary", {}).get("verdict")
    base = t.get("orm_baseline")
    bname = f"earlier diagnostic ORM `{args.baseline}` (no checks)" if base else ""
    fe, pf, pp = t["orm_diagnostic"]["first_error"], t["prm_threshold"]["first_error"], t["position_prior"]["first_error"]
    pv = t["prm_threshold"]["verdict"]
    trn = manifest["provenance"]["metrics"].get("orm", {})
    lines = [
        f"# {manifest['name']}: evaluation",
        "",
        f"An outcome reward model in MathSE's format, trained from {manifest['provenance'].get('parent')} by the reference trainer's `orm` "
        f"task ({trn.get('kind')}, {trn.get('rows')} rows, {trn.get('steps')} steps of {trn.get('batch_size')}, lr {trn.get('lr')}, "
        f"{trn.get('seconds')} s on one CPU thread; recipe in models/recipes/README.md). Written by `models/recipes/eval_orm.py`.",
        "",
        f"Held-out solutions: {args.samples} tiny-policy samples at T 0.8 per problem of the bundled test split "
        f"({t['solutions']['n']} solutions, {t['solutions']['correct']} strictly correct, {t['solutions']['wrong_with_line']} wrong with a "
        f"first wrong line). Gold from the demo checker (labelSolution). Greedy ORM generation, at most {ev['max_new_tokens']} new tokens. "
        f"Thresholds and the position prior were chosen on the val split ({ev['val']['solutions']['n']} solutions); nothing was tuned on test.",
        "",
        "## Verdict (CORRECT / WRONG against strict correctness)",
        "",
        "| model | accuracy | WRONG recall | CORRECT recall | parse failures | n |",
        "|---|---|---|---|---|---|",
        f"| diagnostic ORM (this folder) | {v_d['accuracy']} % | {v_d['wrong_recall']} % | {v_d['correct_recall']} % | {v_d['parse_failures']} % | {v_d['n']} |",
    ]
    if base:
        vb = base["verdict"]
        lines.append(f"| {bname} | {vb['accuracy']} % | {vb['wrong_recall']} % | {vb['correct_recall']} % | {vb['parse_failures']} % | {vb['n']} |")
    if v_b:
        lines.append(f"| binary ORM (status only, same data and steps; not bundled) | {v_b['accuracy']} % | {v_b['wrong_recall']} % | {v_b['correct_recall']} % | {v_b['parse_failures']} % | {v_b['n']} |")
    lines += [
        f"| tiny-prm, WRONG if a step scores < {t['prm_threshold']['tau_verdict']} | {pv['accuracy']} % | {pv['wrong_recall']} % | {pv['correct_recall']} % | - | {pv['n']} |",
        f"| always the majority class | {v_d['majority_class_accuracy']} % | | | | {v_d['n']} |",
        "",
        "MathSE reports 97.1 % (diagnostic) vs 92.7 % (binary) for its 7B-scale ORM; these are 0.4M-parameter models.",
        "",
        "## First wrong step (WRONG solutions with a wrong line)",
        "",
        "| method | exact | within 1 line | no step given | parse failures | n |",
        "|---|---|---|---|---|---|",
        f"| diagnostic ORM `error_step` | {fe['exact']} % | {fe['within_1']} % | {fe['no_step_given']} % (said CORRECT {fe['said_correct']} %) | {fe['parse_failures']} % | {fe['n']} |",
        *([f"| {bname} | {base['first_error']['exact']} % | {base['first_error']['within_1']} % | {base['first_error']['no_step_given']} % "
            f"(said CORRECT {base['first_error']['said_correct']} %) | {base['first_error']['parse_failures']} % | {base['first_error']['n']} |"] if base else []),
        f"| tiny-prm: first step scoring < {t['prm_threshold']['tau_first_error']} | {pf['exact']} % | {pf['within_1']} % | {pf['no_step_given']} % | - | {pf['n']} |",
        f"| position prior: always line {t['position_prior']['line']} | {pp['exact']} % | {pp['within_1']} % | - | - | {pp['n']} |",
        "",
        f"Diagnosis text: `error_analysis` equals the checker's diagnosis on {fe['diagnosis_exact']} % of these solutions "
        f"({fe['diagnosis_exact_when_step_right']} % of those whose step it got right); `improvement_suggestion` equals the gold "
        f"suggestion on {fe['suggestion_exact']} %."
        + (f" The earlier ORM: {base['first_error']['diagnosis_exact']} % and {base['first_error']['suggestion_exact']} %." if base else ""),
        "",
        "Exact first-error accuracy by gold line (diagnostic ORM / tiny-prm threshold):",
        "",
        "| gold line | n | ORM | PRM |",
        "|---|---|---|---|",
    ]
    for k, blk in t["orm_diagnostic"]["first_error_by_gold_line"].items():
        lines.append(f"| {k} | {blk['n']} | {blk['exact']} % | {t['prm_threshold']['first_error_by_gold_line'].get(k, {}).get('exact', '-')} % |")
    kinds = t["orm_diagnostic"]["first_error_by_kind"]
    lines += ["", "Exact first-error accuracy by the kind of the first error (the checker's reason form):", "",
              "| first error | n | this ORM |" + (" earlier ORM |" if base else "") + " position prior |",
              "|---|---|---|" + ("---|" if base else "") + "---|"]
    for k, blk in kinds.items():
        lines.append(f"| {k} | {blk['n']} | {blk['exact']} % |" + (f" {base['first_error_by_kind'][k]['exact']} % |" if base else "")
                     + f" {t['position_prior']['first_error_by_kind'][k]['exact']} % |")
    cm = t["orm_diagnostic"].get("checks")
    if cm:
        lines += ["", f"Checks: {cm['with_checks']} % of the outputs have a `checks` list; the verdict follows the checks (error_step is the "
                  f"line of the first ` not ` mark, CORRECT when there is none) on {cm['verdict_follows_checks']} % of them; on the wrong "
                  f"solutions the first ` not ` mark is on the gold first wrong line {cm['first_not_mark_on_gold_line']} % of the time."]
    lines += ["", f"Generation: at most {t['orm_diagnostic']['max_new_tokens']} new tokens (the manifest's maxNewTokens); the longest prompt "
              f"plus output was {t['orm_diagnostic']['longest_prompt_plus_output']} tokens (context 512)."]
    vt, vi = t["orm_diagnostic"]["verdict_text"], t["orm_diagnostic"]["verdict_image"]
    lines += ["", f"Verdict accuracy by modality (diagnostic): text {vt['accuracy']} % (n {vt['n']}), image {vi['accuracy']} % (n {vi['n']}).", ""]
    chk = ev.get("orm_check")
    if chk:
        lines += ["## Steplab's inference code", "",
                  f"`orm_check.ts` on {chk.get('greedy_tokens_match', '?').split('/')[-1]} test cases (text and image, CORRECT and WRONG): "
                  f"loadModel reads the folder (vocab {chk.get('vocab_size')}); renderOrmPrompt matches format_orm_input {chk.get('render_text_match')}; "
                  f"prompt ids {chk.get('prompt_ids_match')}; onnxruntime-node greedy tokens equal PyTorch's {chk.get('greedy_tokens_match')}; "
                  f"parseOrmOutput agrees with the Python parser {chk.get('parse_match')}.", ""]
    lines += [f"`check_export.ts` (export_onnx.py's parity fixture): {'passed' if export_check.get('ok') else 'FAILED'}; onnxruntime-node greedy "
              f"{export_check.get('ort_greedy_match')}, image prompts {export_check.get('image_greedy_match')}, transformers.js "
              f"{(export_check.get('transformersjs') or {}).get('batched_left_padded_greedy_match')}, max logit diff "
              f"{max((export_check.get('max_abs_logit_diff') or {'-': 0}).values()):.1e}.", ""]
    lines += ["## Examples (test, wrong solutions)", ""]
    for e in examples[:3]:
        lines += ["```", e["input"] + e["output"], "```", f"gold: line {e['gold_step']}, `{e['gold_diagnosis']}`", ""]
    with open(os.path.join(args.orm, "METRICS.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
