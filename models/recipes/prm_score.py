"""Scores solution steps with a PRM folder in PyTorch (its checkpoint.pt): the reference that the
TypeScript onnxruntime scorer is compared against.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/recipes/prm_score.py --model <prm folder> --in rows.jsonl --out scores.json

rows.jsonl holds TRL stepwise rows, {"prompt": QUESTION, "completions": [STEP, ...], "images": [PATH]}
("labels" may be present and is ignored; image paths are relative to the JSONL file's folder, or data:
URLs). Each row is read as the manifest's "prmTemplate" lays it out (MM-PRM's layout when absent,
steplab_model.format_prm_input): `<image>\\n` with a picture, `Question: {QUESTION}\\n`, `Process: `,
then the steps, each stripped and followed by <prm>, joined by `\\n\\n`. The score of step i is
softmax([logit Yes, logit No])[0] at the i-th <prm> position. scores.json is
[{"scores": [p1, p2, ...]}, ...], one entry per row in order, floats as computed (not rounded).
Rows are run one at a time, without padding.

With --policy-likelihood, --model is a policy folder and the score of step i is the policy's own
probability of writing that line: exp of the summed log-probabilities (temperature 1) of the line's tokens
and its step delimiter (the manifest's stepDelimiter), after the policy's prompt (the manifest's
promptTemplate, as Steplab's renderPrompt lays it out) and the steps before it. Not a PRM: the baseline
that tells what the policy already knows about its candidates (models/tiny-prm/METRICS.md, "What a verifier
needs here").
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Dict, List, Optional

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from steplab_model import (  # noqa: E402
    CHECKPOINT_FILE,
    PRM_TEMPLATE,
    PRM_TOKEN,
    CharTokenizer,
    decode_images,
    load_checkpoint,
    merge_image_features,
    jsonl_rows,
    parse_prm_row,
    PROMPT_TEMPLATE,
    STEP_DELIMITER,
    one_line,
    prm_log_probs,
)


def read_rows(path: str) -> List[Dict]:
    """[{"line", "prompt", "steps", "image"}] with the shape checked; errors name the line."""
    base = os.path.dirname(os.path.abspath(path))
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, where, row in jsonl_rows(f, os.path.basename(path)):
            prompt, steps, _, ref = parse_prm_row(row, where, base, need_labels=False)
            rows.append({"line": n, "prompt": prompt, "steps": steps, "image": ref or None})
    return rows


def image_features(model_dir: str, vision, rows: List[Dict]) -> Dict[str, torch.Tensor]:
    refs = sorted({r["image"] for r in rows if r["image"]})
    feats: Dict[str, torch.Tensor] = {}
    if refs:
        if vision is None:
            raise ValueError(f"{model_dir} has no vision encoder but some rows have an image")
        vision.eval()
        pixels = decode_images(refs, vision.config.image_size)
        out = vision(vision.normalise(torch.from_numpy(pixels)))
        feats = {ref: out[i:i + 1] for i, ref in enumerate(refs)}
    return feats


@torch.no_grad()
def score_rows(model_dir: str, rows: List[Dict]) -> List[List[float]]:
    with open(os.path.join(model_dir, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    if manifest.get("role") != "prm":
        print(f"prm_score: note: {model_dir} has role {manifest.get('role')!r}, not 'prm'", file=sys.stderr)
    template: Optional[Dict[str, str]] = manifest.get("prmTemplate") or PRM_TEMPLATE
    model, vision, _ = load_checkpoint(os.path.join(model_dir, CHECKPOINT_FILE))
    model.eval()
    tok = CharTokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    image_tokens = vision.config.tokens if vision is not None else 1
    feats = image_features(model_dir, vision, rows)
    context = model.config.max_position_embeddings
    result = []
    for r in rows:
        ids, tags = tok.encode_prm(r["prompt"], r["steps"], r["image"] is not None, image_tokens, template)
        if len(tags) != len(r["steps"]):
            raise ValueError(f"line {r['line']}: {len(r['steps'])} steps but {len(tags)} {PRM_TOKEN} tokens")
        if len(ids) > context:
            raise ValueError(f"line {r['line']}: {len(ids)} tokens, more than the context of {context}")
        x = torch.tensor([ids], dtype=torch.long)
        embeds = model.embed(x)
        if r["image"] is not None:
            embeds = merge_image_features(embeds, x, tok.image_id, feats[r["image"]])
        logits, _ = model(inputs_embeds=embeds)
        logp = prm_log_probs(logits[0, torch.tensor(tags)], tok.yes_id, tok.no_id)
        result.append([float(v) for v in logp[:, 0].exp().tolist()])
    return result


@torch.no_grad()
def likelihood_rows(model_dir: str, rows: List[Dict]) -> List[List[float]]:
    with open(os.path.join(model_dir, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    if manifest.get("role") != "policy":
        print(f"prm_score: note: {model_dir} has role {manifest.get('role')!r}, not 'policy'", file=sys.stderr)
    model, vision, _ = load_checkpoint(os.path.join(model_dir, CHECKPOINT_FILE))
    model.eval()
    tok = CharTokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    image_tokens = vision.config.tokens if vision is not None else 1
    feats = image_features(model_dir, vision, rows)
    context = model.config.max_position_embeddings
    template = manifest.get("promptTemplate") or PROMPT_TEMPLATE
    delimiter = manifest.get("stepDelimiter", STEP_DELIMITER)
    result = []
    for r in rows:
        prompt = template["question"].replace("{question}", one_line(r["prompt"]))
        if r["image"] is not None and template.get("image"):
            prompt += template["image"]
        ids = tok.encode_prompt(prompt + template["solution"], image_tokens)
        spans = []
        for step in r["steps"]:
            e = tok.encode(step + delimiter, add_bos=False)
            spans.append((len(ids), len(ids) + len(e)))
            ids += e
        if len(ids) > context:
            raise ValueError(f"line {r['line']}: {len(ids)} tokens, more than the context of {context}")
        x = torch.tensor([ids], dtype=torch.long)
        embeds = model.embed(x)
        if r["image"] is not None:
            embeds = merge_image_features(embeds, x, tok.image_id, feats[r["image"]])
        logits, _ = model(inputs_embeds=embeds)
        # lp[t - 1] = log p(ids[t] | ids[:t])
        lp = torch.log_softmax(logits[0, :-1].float(), dim=-1).gather(1, x[0, 1:, None])[:, 0]
        result.append([float(lp[a - 1:b - 1].sum().exp()) for a, b in spans])
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="PRM folder (checkpoint.pt, tokenizer.json, manifest.json); a policy folder with --policy-likelihood")
    ap.add_argument("--policy-likelihood", action="store_true", help="score each step by the policy's probability of writing it (see above)")
    ap.add_argument("--in", dest="inp", required=True, help="TRL stepwise rows (JSONL)")
    ap.add_argument("--out", required=True, help="scores.json to write")
    args = ap.parse_args()
    torch.set_num_threads(1)
    try:
        scores = (likelihood_rows if args.policy_likelihood else score_rows)(args.model, read_rows(args.inp))
    except (ValueError, OSError) as e:
        print(f"prm_score: {e}", file=sys.stderr)
        return 2
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump([{"scores": s} for s in scores], f)
        f.write("\n")
    print(json.dumps({"rows": len(scores), "steps": sum(len(s) for s in scores), "out": args.out}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
