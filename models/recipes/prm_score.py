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

With --orm-layout, the PRM's head is read where an ORM would have to check each line: each row is laid out
as the ORM input (steplab_model.format_orm_input: the policy prompt, the lines joined by the step
delimiter, then `V:\n`, no <prm> tokens), and the score of step i is softmax([logit Yes, logit No])[0] at
the newline that ends line i. Not how a PRM is used: the check of whether a PRM's line check carries over
to the ORM's layout (models/recipes/README.md, "Where the ORM's error_step comes from").
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
    STEP_DELIMITER,
    ORM_VERDICT,
    render_prompt,
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


class Loaded:
    """A model folder read for scoring rows: its manifest, decoder, tokenizer and the rows' image features."""

    def __init__(self, model_dir: str, role: str, rows: List[Dict]):
        with open(os.path.join(model_dir, "manifest.json"), encoding="utf-8") as f:
            self.manifest: Dict = json.load(f)
        if self.manifest.get("role") != role:
            print(f"prm_score: note: {model_dir} has role {self.manifest.get('role')!r}, not {role!r}", file=sys.stderr)
        self.model, vision, _ = load_checkpoint(os.path.join(model_dir, CHECKPOINT_FILE))
        self.model.eval()
        self.tok = CharTokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
        self.image_tokens = vision.config.tokens if vision is not None else 1
        self.feats = image_features(model_dir, vision, rows)
        self.context = self.model.config.max_position_embeddings

    def logits(self, r: Dict, ids: List[int]) -> torch.Tensor:
        """[T, V] logits of one row's ids, the row's picture merged at the image token positions."""
        if len(ids) > self.context:
            raise ValueError(f"line {r['line']}: {len(ids)} tokens, more than the context of {self.context}")
        x = torch.tensor([ids], dtype=torch.long)
        embeds = self.model.embed(x)
        if r["image"] is not None:
            embeds = merge_image_features(embeds, x, self.tok.image_id, self.feats[r["image"]])
        logits, _ = self.model(inputs_embeds=embeds)
        return logits[0]


@torch.no_grad()
def score_rows(model_dir: str, rows: List[Dict]) -> List[List[float]]:
    m = Loaded(model_dir, "prm", rows)
    template: Optional[Dict[str, str]] = m.manifest.get("prmTemplate") or PRM_TEMPLATE
    result = []
    for r in rows:
        ids, tags = m.tok.encode_prm(r["prompt"], r["steps"], r["image"] is not None, m.image_tokens, template)
        if len(tags) != len(r["steps"]):
            raise ValueError(f"line {r['line']}: {len(r['steps'])} steps but {len(tags)} {PRM_TOKEN} tokens")
        logp = prm_log_probs(m.logits(r, ids)[torch.tensor(tags)], m.tok.yes_id, m.tok.no_id)
        result.append([float(v) for v in logp[:, 0].exp().tolist()])
    return result


@torch.no_grad()
def orm_layout_rows(model_dir: str, rows: List[Dict]) -> List[List[float]]:
    m = Loaded(model_dir, "prm", rows)
    newline = m.tok.encode("\n", add_bos=False)
    if len(newline) != 1:
        raise ValueError(f"{model_dir}: the tokenizer has no single newline token")
    result = []
    for r in rows:
        if any("\n" in step for step in r["steps"]):
            raise ValueError(f"line {r['line']}: a step holds a newline, so its end in the ORM layout is not one position")
        ids = m.tok.encode_prompt(render_prompt(r["prompt"], r["image"] is not None), m.image_tokens)
        ends = []
        for step in r["steps"]:
            ids += m.tok.encode(step + STEP_DELIMITER, add_bos=False)
            ends.append(len(ids) - 1)
            if ids[-1] != newline[0]:
                raise ValueError(f"line {r['line']}: the step delimiter does not end in a newline token")
        ids += m.tok.encode(ORM_VERDICT, add_bos=False)
        logp = prm_log_probs(m.logits(r, ids)[torch.tensor(ends)], m.tok.yes_id, m.tok.no_id)
        result.append([float(v) for v in logp[:, 0].exp().tolist()])
    return result


@torch.no_grad()
def likelihood_rows(model_dir: str, rows: List[Dict]) -> List[List[float]]:
    m = Loaded(model_dir, "policy", rows)
    template = m.manifest.get("promptTemplate")
    delimiter = m.manifest.get("stepDelimiter", STEP_DELIMITER)
    result = []
    for r in rows:
        ids = m.tok.encode_prompt(render_prompt(r["prompt"], r["image"] is not None, template), m.image_tokens)
        spans = []
        for step in r["steps"]:
            e = m.tok.encode(step + delimiter, add_bos=False)
            spans.append((len(ids), len(ids) + len(e)))
            ids += e
        # lp[t - 1] = log p(ids[t] | ids[:t])
        lp = torch.log_softmax(m.logits(r, ids)[:-1].float(), dim=-1).gather(1, torch.tensor(ids[1:])[:, None])[:, 0]
        result.append([float(lp[a - 1:b - 1].sum().exp()) for a, b in spans])
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="PRM folder (checkpoint.pt, tokenizer.json, manifest.json); a policy folder with --policy-likelihood")
    ap.add_argument("--policy-likelihood", action="store_true", help="score each step by the policy's probability of writing it (see above)")
    ap.add_argument("--orm-layout", action="store_true", help="read the PRM's head at the line ends of the ORM input (see above)")
    ap.add_argument("--in", dest="inp", required=True, help="TRL stepwise rows (JSONL)")
    ap.add_argument("--out", required=True, help="scores.json to write")
    args = ap.parse_args()
    torch.set_num_threads(1)
    try:
        if args.policy_likelihood and args.orm_layout:
            raise ValueError("--policy-likelihood and --orm-layout do not go together")
        scores = (likelihood_rows if args.policy_likelihood else orm_layout_rows if args.orm_layout else score_rows)(args.model, read_rows(args.inp))
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
