"""The trainer's prm task (trainer.py's docstring): MM-PRM's process reward model, the (Yes, No) read-out at
every <prm> tag trained against soft or hard step labels, with an optional LM loss, and held-out step metrics."""

from __future__ import annotations

import hashlib
import os
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from steplab_model import CharTokenizer, prm_log_probs
from trainer_protocol import ConfigError, Run, emit
from trainer_config import PRM_TEMPLATES
from trainer_data import PrmPath, prm_pixels, read_prm, select_paths, targets_of
from trainer_training import Base, finish, forward_with_images, frozen_features, load_base, optimise


def prm_forward(b: Base, paths: Sequence[PrmPath], feats: Optional[torch.Tensor], image_index: Dict[str, int]) -> torch.Tensor:
    """Right-padded batch -> [tags, 2] log-probabilities of (Yes, No) at every <prm> tag, rows in order."""
    return prm_forward_logits(b, paths, feats, image_index)[0]


def prm_forward_logits(b: Base, paths: Sequence[PrmPath], feats: Optional[torch.Tensor],
                       image_index: Dict[str, int]) -> Tuple[torch.Tensor, torch.Tensor]:
    """prm_forward's tag log-probabilities and the batch's full [rows, width, vocab] logits."""
    tok = b.tok
    width = max(len(p.ids) for p in paths)
    ids = torch.full((len(paths), width), tok.pad_id, dtype=torch.long)
    rows: List[int] = []
    cols: List[int] = []
    imgs: List[int] = []
    for r, p in enumerate(paths):
        ids[r, :len(p.ids)] = torch.tensor(p.ids)
        rows.extend([r] * len(p.tags))
        cols.extend(p.tags)
        if p.image:
            imgs.append(image_index[p.image])
    logits = forward_with_images(b, ids, imgs, feats)  # causal: the right padding does not reach the tags
    return prm_log_probs(logits[torch.tensor(rows), torch.tensor(cols)], tok.yes_id, tok.no_id), logits


def lm_positions(p: PrmPath, targets: Sequence[float], tok: CharTokenizer) -> List[int]:
    """Positions in p.ids of the step-text tokens (not the question, tags or separators) of the steps
    before the first one whose target is < 0.5: the tokens the auxiliary LM loss imitates."""
    out: List[int] = []
    prev_tag = -1
    for step, tag, t in zip(p.steps, p.tags, targets):
        if t < 0.5:
            break
        n = len(tok.encode(step.strip(), add_bos=False))
        start = tag - n
        if n == 0 or start <= prev_tag:  # not laid out as expected (cannot happen for well-formed rows): skip
            prev_tag = tag
            continue
        out.extend(range(start, tag))
        prev_tag = tag
    return out


def soft_bce(logp: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of (Yes, No) log-probabilities against [t, 1 - t]."""
    return -(t * logp[:, 0] + (1 - t) * logp[:, 1]).mean()


def auc(scores: np.ndarray, positive: np.ndarray) -> Optional[float]:
    """ROC AUC (Mann-Whitney, ties counted half); None with only one class."""
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    _vals, inv, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2.0)[inv]
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def evaluate_prm(run: Run, b: Base, paths: List[PrmPath], feats: Optional[torch.Tensor], image_index: Dict[str, int], bs: int) -> Dict:
    """Step metrics on held-out paths: BCE against the soft labels, accuracy of score > 0.5 against
    the hard label (label > 0), AUC, and the first-error accuracy of whole paths."""
    b.model.eval()
    lp: List[torch.Tensor] = []
    with torch.no_grad():
        for start in range(0, len(paths), bs):
            run.check()
            lp.append(prm_forward(b, paths[start:start + bs], feats, image_index))
    logp = torch.cat(lp)
    t = torch.tensor([v for p in paths for v in p.labels], dtype=torch.float32)
    score = logp[:, 0].exp().numpy()
    hard = t.numpy() > 0
    pred = score > 0.5
    # A path is judged right when every step with a positive label scores > 0.5 and the first
    # step with label 0 (if any) is the first step that scores <= 0.5.
    first_ok = 0
    k = 0
    for p in paths:
        ps, hs = pred[k:k + len(p.tags)], hard[k:k + len(p.tags)]
        k += len(p.tags)
        want = next((i for i, h in enumerate(hs) if not h), None)
        got = next((i for i, s in enumerate(ps) if not s), None)
        first_ok += int(want == got)
    a = auc(score, hard)
    return {
        "rows": len(paths), "steps": int(len(t)), "positives": int(hard.sum()), "negatives": int((~hard).sum()),
        "bce": round(float(soft_bce(logp, t)), 5), "accuracy": round(float((pred == hard).mean()), 5),
        "auc": None if a is None else round(a, 5), "mean_score": round(float(score.mean()), 5),
        "first_error_accuracy": round(first_ok / len(paths), 5),
    }


def prm(cfg: Dict, run: Run) -> str:
    hp, opts = cfg["_hp"], cfg["_prm"]
    b = load_base(cfg)
    context = b.model.config.max_position_embeddings
    template = PRM_TEMPLATES[opts["prm_template"]]
    all_paths, raw = read_prm(cfg["train_file"], "train_file", b.tok, b.image_tokens, b.vision is not None, context, template)
    paths, after_dedupe = select_paths(all_paths, opts["dedupe"], opts["max_paths_per_problem"], hp["seed"])
    val_paths: List[PrmPath] = []
    if opts["val_file"] is not None:
        val_paths, _ = read_prm(opts["val_file"], "val_file", b.tok, b.image_tokens, b.vision is not None, context, template)
    image_index, pixels = prm_pixels(paths, b.image_size, os.path.basename(cfg["train_file"]))
    h = hashlib.sha256(raw)
    if len(pixels):
        h.update(pixels.tobytes())
    data_hash = "sha256:" + h.hexdigest()
    targets = [targets_of(p, opts["labels"]) for p in paths]
    flat = [v for ts in targets for v in ts]
    hard = [v > 0 for p in paths for v in p.labels]
    counts = {"rows": len(all_paths), "paths_after_dedupe": after_dedupe, "paths": len(paths),
              "image_paths": sum(1 for p in paths if p.image), "tags": len(flat),
              "mean_target": round(sum(flat) / len(flat), 5), "positives": sum(hard), "negatives": len(hard) - sum(hard)}
    emit("log", message=(
        f"prm: {counts['rows']} rows read from {cfg['train_file']}; {after_dedupe} paths after dedupe"
        f"{'' if opts['dedupe'] else ' (off)'}, {len(paths)} after the per-problem cap ({opts['max_paths_per_problem'] or 'none'}); "
        f"{counts['image_paths']} with an image; {len(flat)} steps (tags), mean target {counts['mean_target']} ({opts['labels']} labels), "
        f"{counts['positives']} positive / {counts['negatives']} negative by hard label; base {b.manifest.get('name')}"
    ))
    val_index, val_pixels = (prm_pixels(val_paths, b.image_size, os.path.basename(opts["val_file"])) if val_paths else ({}, None))
    run.check()
    feats = frozen_features(b.vision, pixels)
    val_feats = frozen_features(b.vision, val_pixels) if val_paths else None
    tgt = [torch.tensor(ts, dtype=torch.float32) for ts in targets]
    lm_weight = opts["lm_weight"]
    lm_pos = [lm_positions(p, ts, b.tok) for p, ts in zip(paths, targets)] if lm_weight > 0 else []
    lm_tokens = sum(len(x) for x in lm_pos)
    if opts["init_tag_from_newline"]:
        newline = b.tok.vocab.get("\n")
        if newline is None or b.tok.prm_id is None:
            raise ConfigError('config: "init_tag_from_newline": the base tokenizer lacks "\\n" or <prm>')
        with torch.no_grad():
            emb = b.model.model.embed_tokens.weight
            emb[b.tok.prm_id] = emb[newline]
    if lm_weight > 0 or opts["init_tag_from_newline"]:
        emit("log", message=f"prm: lm_weight {lm_weight} over {lm_tokens} step-text tokens of steps before the first target < 0.5; "
                            f"init_tag_from_newline {opts['init_tag_from_newline']}")

    def batch_loss(idx: np.ndarray) -> torch.Tensor:
        logp, logits = prm_forward_logits(b, [paths[i] for i in idx], feats, image_index)
        loss = soft_bce(logp, torch.cat([tgt[i] for i in idx]))
        if lm_weight > 0:
            rows = [r for r, i in enumerate(idx) for _ in lm_pos[i]]
            if rows:
                cols = torch.tensor([j for i in idx for j in lm_pos[i]])
                rows_t = torch.tensor(rows)
                want = torch.tensor([paths[i].ids[j] for i in idx for j in lm_pos[i]])
                loss = loss + lm_weight * F.cross_entropy(logits[rows_t, cols - 1], want)
        return loss

    step, last_loss, seconds, curve = optimise(run, b, hp, len(paths), batch_loss, "prm", "paths")
    run.check()
    val = None
    if val_paths:
        val = evaluate_prm(run, b, val_paths, val_feats, val_index, max(hp["batch_size"], 32))
        emit("log", message=f"prm: held-out {opts['val_file']}: " + ", ".join(f"{k} {v}" for k, v in val.items()))
    metrics = {"prm": {
        "rows": counts["rows"], "paths": len(paths), "paths_after_dedupe": after_dedupe, "image_paths": counts["image_paths"],
        "dedupe": opts["dedupe"], "max_paths_per_problem": opts["max_paths_per_problem"], "labels": opts["labels"],
        "steps": step, "tags": len(flat), "mean_target": counts["mean_target"], "positives": counts["positives"], "negatives": counts["negatives"],
        "lm_weight": lm_weight, "lm_tokens": lm_tokens, "init_tag_from_newline": opts["init_tag_from_newline"],
        "prm_template": opts["prm_template"],
        "lr": hp["lr"], "epochs": hp["epochs"], "batch_size": hp["batch_size"], "seed": hp["seed"],
        "final_loss": round(last_loss, 5), "seconds": round(seconds, 1), "loss_curve": curve, "val": val,
    }}
    emit("log", message=f"prm: trained {step} steps in {seconds:.1f} s, final loss {last_loss:.4f} (lm_weight {lm_weight}); exporting")
    return finish(run, cfg, b, role="prm", recipe="models/recipes/trainer.py (prm)", data_hash=data_hash, metrics=metrics,
                  checkpoint_extra={"prm": {k: v for k, v in metrics["prm"].items() if k != "loss_curve"},
                                    "prm_template": dict(template), "base": b.manifest.get("name")},
                  manifest_overrides={"prmTemplate": dict(template)})


# ---------------------------------------------------------------------------------------------
