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
    refs = sorted({r["image"] for r in rows if r["image"]})
    feats: Dict[str, torch.Tensor] = {}
    if refs:
        if vision is None:
            raise ValueError(f"{model_dir} has no vision encoder but some rows have an image")
        vision.eval()
        pixels = decode_images(refs, vision.config.image_size)
        out = vision(vision.normalise(torch.from_numpy(pixels)))
        feats = {ref: out[i:i + 1] for i, ref in enumerate(refs)}
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="PRM folder (checkpoint.pt, tokenizer.json, manifest.json)")
    ap.add_argument("--in", dest="inp", required=True, help="TRL stepwise rows (JSONL)")
    ap.add_argument("--out", required=True, help="scores.json to write")
    args = ap.parse_args()
    torch.set_num_threads(1)
    try:
        scores = score_rows(args.model, read_rows(args.inp))
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
