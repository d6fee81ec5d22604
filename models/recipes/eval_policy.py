"""Evaluates a demo policy folder (its PyTorch checkpoint, which export_onnx.py --check shows equal
to the ONNX graphs) on the bundled demo test split, with gold step labels from the TypeScript
checker (labelSolution, run through demo_tool.ts), and writes the numbers into the folder:
manifest.json provenance.metrics.evaluation and METRICS.md.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/recipes/eval_policy.py --model models/tiny-policy

Metrics (n = problems of the split; image problems have a `count = k` line first):
  answer accuracy   the last `Answer:` line states the gold answer
  strict accuracy   every line right by the gold labels and the answer right (no missing line)
  pass@k / maj@k    over k samples at the manifest's temperature
  first error       1-based line of the first wrong line among strictly wrong solutions
                    (`missing`: all given lines right but the solution stopped early)
  count step        image problems: line 1 is `count = <the picture's count>`; chance is 1/9
  text twins        the image problems with the count stated in the question (textTwin); their
                    "start read" is whether the first line that uses the start value uses the right one
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from steplab_model import (  # noqa: E402
    _ARITH_LINE,
    REPO_ROOT,
    CHECKPOINT_FILE,
    CharTokenizer,
    format_prompt,
    generate,
    load_checkpoint,
    split_solution,
)

ARITH_RE = _ARITH_LINE  # an `a op b = c` line (steplab_formats)


def node_tool(*args: str) -> None:
    subprocess.run(["node", "bin/run-ts.js", "models/recipes/demo_tool.ts", *args], cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL)


def read_jsonl(path: str) -> List[Dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


class Problem:
    def __init__(self, row: Dict, image: Optional[int]):
        self.id = row["id"]
        self.row = row
        self.question = row["question"]
        self.canonical = row["canonical"]
        self.answer = row["answer"]
        self.difficulty = row["difficulty"]
        self.image_count = row.get("image_count")
        self.image = image  # index into the feature tensor, or None


def run_generation(model, tok: CharTokenizer, feats: Optional[torch.Tensor], problems: Sequence[Problem], image_tokens: int,
                   copies: int, temperature: float, max_new: int, batch: int, seed: int) -> List[List[List[int]]]:
    """copies generations per problem; rows batched by prompt length (left padding)."""
    prompts = [tok.encode_prompt(format_prompt(p.question, p.image is not None), image_tokens) for p in problems]
    jobs = [(i, c) for i in sorted(range(len(problems)), key=lambda i: len(prompts[i])) for c in range(copies)]
    out: List[List[List[int]]] = [[[] for _ in range(copies)] for _ in problems]
    gen = torch.Generator().manual_seed(seed)
    for s in range(0, len(jobs), batch):
        chunk = jobs[s:s + batch]
        rows = [prompts[i] for i, _ in chunk]
        img = [problems[i].image for i, _ in chunk if problems[i].image is not None]
        f = feats[torch.tensor(img)] if img else None
        res = generate(model, rows, max_new, tok.eos_id, tok.pad_id, temperature=temperature, generator=gen,
                       image_token_id=tok.image_id, image_features=f)
        for (i, c), r in zip(chunk, res):
            out[i][c] = r
    return out


def split_features(vision, pdir: str, split: str) -> Tuple[Optional[torch.Tensor], Dict[str, int]]:
    """The vision encoder's features for the pictures of one split of a make_demo_data.ts folder, and
    each problem id's row in them (demo_tool.ts turns the PNGs into pixels, as the trainer does)."""
    tmp = tempfile.mkdtemp(prefix="steplab-pixels-")
    pix_file = os.path.join(tmp, "pixels.u8")
    node_tool("pixels", "--data", pdir, "--split", split, "--out", pix_file)
    with open(pix_file + ".json", encoding="utf-8") as f:
        header = json.load(f)
    pix = np.fromfile(pix_file, dtype=np.uint8).reshape(header["shape"])
    index = {pid: i for i, pid in enumerate(header["ids"])}
    feats = None
    if vision is not None and len(pix):
        vision.eval()
        with torch.no_grad():
            feats = vision(vision.normalise(torch.from_numpy(pix)))
    shutil.rmtree(tmp, ignore_errors=True)
    return feats, index


def to_steps(tok: CharTokenizer, tokens: List[int]) -> Tuple[List[str], bool]:
    """Solution lines and whether the generation ended with </s> (False: cut at max_new_tokens)."""
    ended = bool(tokens) and tokens[-1] == tok.eos_id
    body = tokens[:-1] if ended else tokens
    return split_solution(tok.decode(body)), ended


def label_all(items: List[Dict], work: str) -> List[Dict]:
    src = os.path.join(work, "to_label.jsonl")
    dst = os.path.join(work, "labels.jsonl")
    with open(src, "w", encoding="utf-8") as f:
        for it in items:
            f.write(json.dumps(it) + "\n")
    node_tool("label", "--in", src, "--out", dst)
    return read_jsonl(dst)


def strict_ok(lab: Dict) -> bool:
    return lab["firstError"] is None and lab["finalCorrect"]


def first_error_key(lab: Dict) -> Optional[str]:
    if strict_ok(lab):
        return None
    if lab["firstError"] is None:
        return "missing"
    return str(lab["firstError"] + 1)


def pct(x: float) -> float:
    return round(100.0 * x, 1)


def start_read(problem: Problem, steps: List[str]) -> bool:
    """Text twin: the first reference line that starts from the start value has it as an operand."""
    start = int(problem.canonical.split()[0])
    first_event = problem.canonical.split()[1]
    line = 1 if "x" in first_event else 0  # a bags event's `k * m` line comes before the running value is used
    if len(steps) <= line:
        return False
    m = ARITH_RE.match(steps[line])
    return bool(m) and (int(m.group(1)) == start or (m.group(2) in "+*" and int(m.group(3)) == start))


def majority(answers: List[Optional[str]]) -> Optional[str]:
    vals = [a for a in answers if a is not None]
    if not vals:
        return None
    return collections.Counter(vals).most_common(1)[0][0]


def final_answer(steps: List[str]) -> Optional[str]:
    ans = None
    for s in steps:
        m = re.match(r"^\s*Answer:\s*(\d+)\s*$", s)
        if m:
            ans = str(int(m.group(1)))
    return ans


def evaluate(args) -> Dict:
    torch.manual_seed(args.seed)
    model, vision, _ = load_checkpoint(os.path.join(args.model, CHECKPOINT_FILE))
    model.eval()
    tok = CharTokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    image_tokens = vision.config.tokens if vision is not None else 1
    work = tempfile.mkdtemp(prefix="steplab-eval-")
    rows = [r for r in read_jsonl(os.path.join(args.demo_data, "problems.jsonl")) if r["split"] == args.split]

    pix_file = os.path.join(work, "pixels.u8")
    node_tool("pixels", "--data", os.path.abspath(args.demo_data), "--split", args.split, "--out", pix_file)
    with open(pix_file + ".json", encoding="utf-8") as f:
        pix_header = json.load(f)
    pix = np.fromfile(pix_file, dtype=np.uint8).reshape(pix_header["shape"])
    pix_index = {pid: i for i, pid in enumerate(pix_header["ids"])}
    feats = None
    cnn_correct = None
    if vision is not None and len(pix):
        vision.eval()
        with torch.no_grad():
            pv = vision.normalise(torch.from_numpy(pix))
            feats = vision(pv)
            pred = vision.backbone(pv).argmax(-1).numpy() + 1
        cnn_correct = float((pred == np.array(pix_header["counts"])).mean())

    problems = [Problem(r, pix_index[r["id"]] if r.get("image_count") is not None else None) for r in rows]
    twin_file = os.path.join(work, "twins.jsonl")
    node_tool("twins", "--data", os.path.abspath(args.demo_data), "--split", args.split, "--out", twin_file)
    twins = [Problem(r, None) for r in read_jsonl(twin_file)]

    t0 = time.time()
    greedy = run_generation(model, tok, feats, problems + twins, image_tokens, 1, 0.0, args.max_new_tokens, args.batch, args.seed)
    t_greedy = time.time() - t0
    t0 = time.time()
    samples = run_generation(model, tok, feats, problems, image_tokens, args.samples, args.temperature, args.max_new_tokens, args.batch, args.seed + 1)
    t_samples = time.time() - t0

    allp = problems + twins
    items, where = [], []
    for i, p in enumerate(allp):
        steps, ended = to_steps(tok, greedy[i][0])
        items.append({"canonical": p.canonical, "image_count": p.image_count, "steps": steps})
        where.append(("greedy", i, 0, steps, ended))
    for i, p in enumerate(problems):
        for c in range(args.samples):
            steps, ended = to_steps(tok, samples[i][c])
            items.append({"canonical": p.canonical, "image_count": p.image_count, "steps": steps})
            where.append(("sample", i, c, steps, ended))
    labels = label_all(items, work)

    n = len(problems)
    g_lab: Dict[int, Dict] = {}
    g_steps: Dict[int, List[str]] = {}
    g_ended: Dict[int, bool] = {}
    s_lab: Dict[int, List[Dict]] = collections.defaultdict(list)
    s_steps: Dict[int, List[List[str]]] = collections.defaultdict(list)
    for (kind, i, c, steps, ended), lab in zip(where, labels):
        if kind == "greedy":
            g_lab[i], g_steps[i], g_ended[i] = lab, steps, ended
        else:
            s_lab[i].append(lab)
            s_steps[i].append(steps)

    def rate(idx: Sequence[int], fn) -> float:
        return sum(1 for i in idx if fn(i)) / max(1, len(idx))

    idx_all = list(range(n))
    idx_img = [i for i in idx_all if problems[i].image is not None]
    idx_txt = [i for i in idx_all if problems[i].image is None]
    gold = {i: problems[i].answer for i in idx_all}

    def block(idx: Sequence[int]) -> Dict:
        return {
            "n": len(idx),
            "greedy_answer_accuracy": pct(rate(idx, lambda i: g_lab[i]["finalCorrect"])),
            "greedy_strict_accuracy": pct(rate(idx, lambda i: strict_ok(g_lab[i]))),
            f"pass@{args.samples}_answer": pct(rate(idx, lambda i: any(l["finalCorrect"] for l in s_lab[i]))),
            f"pass@{args.samples}_strict": pct(rate(idx, lambda i: any(strict_ok(l) for l in s_lab[i]))),
            f"maj@{args.samples}_answer": pct(rate(idx, lambda i: majority([final_answer(s) for s in s_steps[i]]) == gold[i])),
            "sample_answer_accuracy": pct(np.mean([l["finalCorrect"] for i in idx for l in s_lab[i]]) if idx else 0.0),
            "sample_strict_accuracy": pct(np.mean([strict_ok(l) for i in idx for l in s_lab[i]]) if idx else 0.0),
        }

    def error_hist(labs: List[Dict]) -> Dict[str, float]:
        keys = [first_error_key(l) for l in labs]
        keys = [k for k in keys if k is not None]
        cnt = collections.Counter(keys)
        order = sorted((k for k in cnt if k != "missing"), key=int) + (["missing"] if "missing" in cnt else [])
        return {k: pct(cnt[k] / len(keys)) for k in order} if keys else {}

    by_diff = {}
    for d in sorted({p.difficulty for p in problems}):
        idx = [i for i in idx_all if problems[i].difficulty == d]
        by_diff[str(d)] = {"n": len(idx), "greedy_answer": pct(rate(idx, lambda i: g_lab[i]["finalCorrect"])),
                           "greedy_strict": pct(rate(idx, lambda i: strict_ok(g_lab[i]))),
                           f"pass@{args.samples}_strict": pct(rate(idx, lambda i: any(strict_ok(l) for l in s_lab[i])))}

    def count_ok(i: int, steps: List[str]) -> bool:
        return bool(steps) and re.match(r"^\s*count\s*=\s*(\d+)\s*$", steps[0]) is not None and int(steps[0].split("=")[1]) == problems[i].image_count

    twin_pos = {t.row["twin_of"]: n + k for k, t in enumerate(twins)}
    img_pairs = [(i, twin_pos[problems[i].id]) for i in idx_img if problems[i].id in twin_pos]
    image_block = {
        "n": len(idx_img),
        "chance": round(1 / 9, 3),
        "cnn_count_accuracy": pct(cnn_correct) if cnn_correct is not None else None,
        "count_step_accuracy_greedy": pct(rate(idx_img, lambda i: count_ok(i, g_steps[i]))),
        "count_step_accuracy_samples": pct(np.mean([count_ok(i, s) for i in idx_img for s in s_steps[i]]) if idx_img else 0.0),
        "image_greedy_answer": pct(rate(idx_img, lambda i: g_lab[i]["finalCorrect"])),
        "image_greedy_strict": pct(rate(idx_img, lambda i: strict_ok(g_lab[i]))),
        "twin_greedy_answer": pct(rate([t for _, t in img_pairs], lambda t: g_lab[t]["finalCorrect"])),
        "twin_greedy_strict": pct(rate([t for _, t in img_pairs], lambda t: strict_ok(g_lab[t]))),
        "twin_start_read_greedy": pct(rate([t for _, t in img_pairs], lambda t: start_read(allp[t], g_steps[t]))),
        "image_strict_after_count_right": pct(rate([i for i in idx_img if count_ok(i, g_steps[i])], lambda i: strict_ok(g_lab[i]))),
    }
    greedy_wrong = [g_lab[i] for i in idx_all if not strict_ok(g_lab[i])]
    sample_wrong = [l for i in idx_all for l in s_lab[i] if not strict_ok(l)]
    metrics = {
        "split": args.split,
        "n": n,
        "samples": args.samples,
        "temperature": args.temperature,
        "max_new_tokens": args.max_new_tokens,
        "all": block(idx_all),
        "text_problems": block(idx_txt),
        "image_problems": block(idx_img),
        "by_difficulty": by_diff,
        "first_error_step_greedy_pct": error_hist(greedy_wrong),
        "first_error_step_samples_pct": error_hist(sample_wrong),
        "greedy_unfinished": sum(1 for i in idx_all if not g_ended[i]),
        "image": image_block,
        "seconds": {"greedy": round(t_greedy, 1), "samples": round(t_samples, 1)},
        "checker": "labelSolution (src-main/core/demo/check.ts) via models/recipes/demo_tool.ts",
        "examples": [
            {"id": problems[i].id, "question": problems[i].question, "greedy": g_steps[i], "labels": g_lab[i]["labels"], "diagnosis": g_lab[i]["diagnosis"]}
            for i in ([j for j in idx_all if not strict_ok(g_lab[j])][:3] + [j for j in idx_all if strict_ok(g_lab[j])][:1])
        ],
    }
    return metrics


def metrics_markdown(name: str, m: Dict, training: Dict) -> str:
    k = m["samples"]
    a, t, im = m["all"], m["text_problems"], m["image_problems"]
    lines = [
        f"# {name}: evaluation",
        "",
        f"Bundled demo `{m['split']}` split (`models/demo-data`, n = {m['n']}: {t['n']} text, {im['n']} image problems), "
        f"gold step labels from `labelSolution`. Greedy, and {k} samples at T {m['temperature']}; max {m['max_new_tokens']} new tokens. "
        "Written by `models/recipes/eval_policy.py`.",
        "",
        "| problems | n | greedy answer | greedy strict | pass@%d answer | pass@%d strict | maj@%d | sample answer | sample strict |" % (k, k, k),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, b in (("all", a), ("text", t), ("image", im)):
        lines.append(f"| {label} | {b['n']} | {b['greedy_answer_accuracy']} % | {b['greedy_strict_accuracy']} % | {b[f'pass@{k}_answer']} % | "
                     f"{b[f'pass@{k}_strict']} % | {b[f'maj@{k}_answer']} % | {b['sample_answer_accuracy']} % | {b['sample_strict_accuracy']} % |")
    lines += ["", "Strict: every line right by the gold labels and the right answer. Answer: the last `Answer:` line is right.", "",
              "## By difficulty (arithmetic steps)", "", "| steps | n | greedy answer | greedy strict | pass@%d strict |" % k, "|---|---|---|---|---|"]
    for d, b in m["by_difficulty"].items():
        lines.append(f"| {d} | {b['n']} | {b['greedy_answer']} % | {b['greedy_strict']} % | {b[f'pass@{k}_strict']} % |")
    lines += ["", "## First wrong line (strictly wrong solutions, % of them)", "",
              "Line numbers count the `count = k` line of image problems; `missing`: every line right but the solution stopped early.", "",
              "| line | " + " | ".join(m["first_error_step_samples_pct"].keys()) + " |",
              "|---|" + "---|" * len(m["first_error_step_samples_pct"])]
    for label, key in (("greedy", "first_error_step_greedy_pct"), (f"{k} samples", "first_error_step_samples_pct")):
        lines.append(f"| {label} | " + " | ".join(f"{m[key].get(c, 0.0)} %" for c in m["first_error_step_samples_pct"]) + " |")
    i = m["image"]
    lines += [
        "", "## Reading the picture", "",
        f"- Count step (`count = k` right), greedy: **{i['count_step_accuracy_greedy']} %**; over samples: {i['count_step_accuracy_samples']} %; "
        f"chance {round(100 * i['chance'], 1)} %; the pretrained CNN's own count head on the same pictures: {i['cnn_count_accuracy']} %.",
        f"- Image problems vs their text twins (same problem, count stated in the question): greedy answer {i['image_greedy_answer']} % vs {i['twin_greedy_answer']} %, "
        f"strict {i['image_greedy_strict']} % vs {i['twin_greedy_strict']} %.",
        f"- Twins' start value read right (first line that uses it): {i['twin_start_read_greedy']} %; image problems whose count line was right end strictly right {i['image_strict_after_count_right']} % of the time.",
    ]
    if training:
        lines += ["", "## Training", ""]
        tr = training.get("training", {})
        if tr:
            lines.append(f"- Decoder {tr.get('decoder_parameters')} parameters, vision encoder {tr.get('vision_parameters')}; "
                         f"{tr.get('steps')} steps of {tr.get('batch')} sequences, {tr.get('tokens')} tokens ({tr.get('loss_tokens')} in the loss), "
                         f"{round(tr.get('seconds', 0) / 60, 1)} min at {tr.get('tokens_per_second')} tokens/s; val loss (EMA) {tr.get('val_loss_ema')}.")
        vp = training.get("vision_pretraining", {})
        if vp:
            lines.append(f"- Vision pretraining (9-way count classifier): held-out accuracy {pct(vp.get('heldout_accuracy', 0))} % on {vp.get('heldout_pictures')} pictures, "
                         f"{pct(vp.get('demo_test_accuracy', 0))} % on the {vp.get('demo_test_pictures')} bundled test pictures; {vp.get('seconds')} s.")
        ec = training.get("export_check", {})
        if ec:
            diffs = ec.get("max_abs_logit_diff", {})
            lines.append(f"- ONNX vs PyTorch: max |logit diff| {max(diffs.values()):.1e} over {len(diffs)} cases (past 0 / > 0, left padding, batch 3); "
                         f"image path {ec.get('image_prompt_max_abs_logit_diff', 0):.1e}; greedy tokens equal: onnxruntime-node {ec.get('ort_greedy_match')}, "
                         f"image prompts {ec.get('image_greedy_match')}, transformers.js generate() {ec.get('transformersjs', {}).get('batched_left_padded_greedy_match')}.")
    lines += ["", "## Examples (greedy)", ""]
    for e in m["examples"]:
        lines.append(f"- `{e['id']}`: {e['question']}")
        lines.append(f"  - output: `{' | '.join(e['greedy'])}`; labels {e['labels']}" + (f"; {e['diagnosis']}" if e["diagnosis"] else ""))
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="model folder with checkpoint.pt, tokenizer.json, manifest.json")
    ap.add_argument("--demo-data", default=os.path.join(REPO_ROOT, "models", "demo-data"))
    ap.add_argument("--split", default="test")
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--temperature", type=float, default=None, help="default: the manifest's parameters.temperature")
    ap.add_argument("--max-new-tokens", type=int, default=None, help="default: the manifest's parameters.maxNewTokens")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--no-write", action="store_true", help="print the metrics only")
    args = ap.parse_args()
    manifest_path = os.path.join(args.model, "manifest.json")
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
    params = manifest.get("parameters", {})
    if args.temperature is None:
        args.temperature = float(params.get("temperature", 0.8))
    if args.max_new_tokens is None:
        args.max_new_tokens = int(params.get("maxNewTokens", 128))
    t0 = time.time()
    metrics = evaluate(args)
    metrics["seconds"]["total"] = round(time.time() - t0, 1)
    summary = {k: metrics["all"][k] for k in metrics["all"]}
    print(json.dumps({"evaluation": summary, "image": metrics["image"], "first_error_greedy": metrics["first_error_step_greedy_pct"],
                      "first_error_samples": metrics["first_error_step_samples_pct"], "seconds": metrics["seconds"]}))
    if not args.no_write:
        prov = manifest.setdefault("provenance", {})
        pm = prov.setdefault("metrics", {})
        pm["evaluation"] = {k: v for k, v in metrics.items() if k != "examples"}
        with open(manifest_path, "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=2, ensure_ascii=False)
            f.write("\n")
        with open(os.path.join(args.model, "METRICS.md"), "w", encoding="utf-8") as f:
            f.write(metrics_markdown(manifest.get("name", os.path.basename(args.model)), metrics, pm))
    return 0


if __name__ == "__main__":
    sys.exit(main())
