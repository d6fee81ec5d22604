"""What the trainer's tasks share (trainer.py): the base model loaded, the frozen vision trunk, the optimiser
loop, the batch forward with images and the causal LM loss (sft's and orm's), and the export into place;
and the sft task."""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from steplab_model import (
    CHECKPOINT_FILE,
    CharTokenizer,
    LlamaForCausalLM,
    VisionEncoder,
    load_checkpoint,
    merge_image_features,
)
from trainer_protocol import ConfigError, Run, emit
from export_onnx import export_folder
from trainer_config import NAME_RE
from trainer_data import read_sft


@dataclass
class Base:
    path: str
    manifest: Dict
    model: LlamaForCausalLM
    vision: Optional[VisionEncoder]
    tok: CharTokenizer
    image_tokens: int
    image_size: int


def load_base(cfg: Dict) -> Base:
    base = cfg["base_model"]
    out = os.path.abspath(cfg["output_dir"])
    manifest_path = os.path.join(base, "manifest.json")
    ckpt = os.path.join(base, CHECKPOINT_FILE)
    if not os.path.isfile(manifest_path):
        raise ConfigError(f"base_model {base}: no manifest.json")
    if not os.path.isfile(ckpt):
        raise ConfigError(f"base_model {base}: no {CHECKPOINT_FILE}; this trainer fine-tunes folders made by models/recipes (train_policy.py or trainer.py)")
    if os.path.exists(out) and (not os.path.isdir(out) or os.listdir(out)):
        raise ConfigError(f"output_dir {out} exists and is not empty; choose a new folder")
    with open(manifest_path, encoding="utf-8") as f:
        base_manifest = json.load(f)
    torch.manual_seed(cfg["_hp"]["seed"])
    model, vision, _extra = load_checkpoint(ckpt)
    tok = CharTokenizer.from_file(os.path.join(base, "tokenizer.json"))
    image_tokens = vision.config.tokens if vision is not None else 1
    image_size = vision.config.image_size if vision is not None else 48
    if vision is not None and vision.config.channels != 1:
        raise ConfigError("base_model: this trainer prepares grey-scale pictures; the vision encoder wants 3 channels")
    return Base(base, base_manifest, model, vision, tok, image_tokens, image_size)


def frozen_features(vision: Optional[VisionEncoder], pixels: np.ndarray) -> Optional[torch.Tensor]:
    """Freezes the vision trunk (only its projection trains) and returns its features of `pixels`."""
    if vision is None:
        return None
    vision.eval()
    for p in vision.backbone.parameters():
        p.requires_grad_(False)
    if not len(pixels):
        return None
    with torch.no_grad():
        return torch.cat([vision.backbone.features(vision.normalise(torch.from_numpy(pixels[i:i + 1024])))
                          for i in range(0, len(pixels), 1024)])


def optimise(run: Run, b: Base, hp: Dict, n: int, batch_loss: Callable[[np.ndarray], torch.Tensor], task: str, unit: str):
    """AdamW over the decoder and the vision projection; warmup, then cosine down to 0.1 x lr; clip 1.0.
    One progress event per step. Returns (steps, last loss, seconds, [[step, loss], ...])."""
    model, vision = b.model, b.vision
    bs = hp["batch_size"]
    per_epoch = math.ceil(n / bs)
    total = per_epoch * hp["epochs"]
    if hp["max_steps"] is not None:
        total = min(total, hp["max_steps"])
    warmup = hp["warmup_steps"] if hp["warmup_steps"] is not None else min(20, max(1, total // 10))
    params = list(model.parameters()) + (list(vision.proj.parameters()) if vision is not None else [])
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": hp["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=hp["lr"], betas=(0.9, 0.95))
    rng = np.random.RandomState(hp["seed"])
    step = 0
    t0 = time.time()
    last_loss = float("nan")
    curve: List[List[float]] = []
    emit("log", message=f"{task}: {total} steps of {bs} {unit}, lr {hp['lr']}, warmup {warmup}")
    model.train()
    while step < total:
        order = rng.permutation(n)
        for start in range(0, len(order), bs):
            if step >= total:
                break
            run.check()
            lr = hp["lr"] * min(1.0, (step + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / max(1, total))))
            for g in opt.param_groups:
                g["lr"] = lr
            loss = batch_loss(order[start:start + bs])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            step += 1
            last_loss = float(loss)
            curve.append([step, round(last_loss, 5)])
            emit("progress", step=step, total=total, loss=round(last_loss, 5))
    model.eval()
    return step, last_loss, time.time() - t0, curve


def finish(run: Run, cfg: Dict, b: Base, *, role: str, recipe: str, data_hash: str, metrics: Dict, checkpoint_extra: Dict,
           tokenizer_dir: Optional[str] = None, manifest_overrides: Optional[Dict] = None) -> str:
    """Exports into a staging folder next to output_dir, keeps the base manifest's sampling and prompt
    settings (then applies `manifest_overrides`), and renames the folder into place. The tokenizer
    files come from `tokenizer_dir` (default: the base folder)."""
    out = os.path.abspath(cfg["output_dir"])
    name = cfg.get("name")
    if not name:
        name = os.path.basename(out.rstrip(os.sep))
        if not NAME_RE.match(name):
            name = f"{b.manifest.get('name', 'model')}-{cfg['task']}"[:100]
    parent_dir = os.path.dirname(out) or "."
    os.makedirs(parent_dir, exist_ok=True)
    run.staging = tempfile.mkdtemp(prefix=f".{os.path.basename(out)}.partial-", dir=parent_dir)
    export_folder(
        b.model, b.vision, tokenizer_dir or b.path, run.staging, name=name, role=role, recipe=recipe,
        data_hash=data_hash, parent=b.manifest.get("name"), metrics=metrics, checkpoint_extra=checkpoint_extra,
        orm_template=(checkpoint_extra or {}).get("orm_template"),
    )
    manifest_file = os.path.join(run.staging, "manifest.json")
    with open(manifest_file, encoding="utf-8") as f:
        manifest = json.load(f)
    manifest["provenance"]["cycle"] = cfg.get("cycle")
    for key in ("parameters", "contextLength", "promptTemplate", "stepDelimiter", "family"):
        if key in b.manifest:
            manifest[key] = b.manifest[key]
    manifest.update(manifest_overrides or {})
    with open(manifest_file, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
    run.check()
    if os.path.isdir(out):
        os.rmdir(out)  # empty, checked in load_base
    os.rename(run.staging, out)
    run.staging = None
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(out, 0o777 & ~umask)  # mkdtemp made the staging folder private
    return out


# ---------------------------------------------------------------------------------------------
# SFT


def forward_with_images(b: Base, ids: torch.Tensor, imgs: List[int], feats: Optional[torch.Tensor]) -> torch.Tensor:
    """The logits of a right-padded batch of ids; `imgs` (one per row that has an image, in row order) index
    `feats`, whose projection replaces those rows' image tokens."""
    embeds = b.model.embed(ids)
    if imgs:
        embeds = merge_image_features(embeds, ids, b.tok.image_id, b.vision.project(feats[torch.tensor(imgs)]))
    logits, _ = b.model(inputs_embeds=embeds)
    return logits


def causal_lm_loss(b: Base, examples: Sequence[Tuple[List[int], int, int]], feats: Optional[torch.Tensor],
                   weighted: Optional[Sequence[Sequence[int]]] = None, weight: float = 1.0) -> Callable[[np.ndarray], torch.Tensor]:
    """The batch loss of sft and orm: next-token cross-entropy over each example's target (its ids after
    the prompt's `plen`), examples being (ids, plen, image index or -1). With `weighted` (for each example,
    positions in its ids) and `weight` > 1, the loss is the weighted mean: those tokens count `weight` times."""
    pad = b.tok.pad_id
    use_weights = weighted is not None and weight != 1.0

    def batch_loss(idx: np.ndarray) -> torch.Tensor:
        width = max(len(examples[i][0]) for i in idx)
        ids = torch.full((len(idx), width), pad, dtype=torch.long)
        labels = torch.full((len(idx), width), -100, dtype=torch.long)
        imgs = []
        for r, i in enumerate(idx):
            seq, plen, img = examples[i]
            ids[r, :len(seq)] = torch.tensor(seq)
            labels[r, plen - 1:len(seq) - 1] = torch.tensor(seq[plen:])
            if img >= 0:
                imgs.append(img)
        logits = forward_with_images(b, ids, imgs, feats)
        if not use_weights:
            return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)
        w = (labels != -100).float()
        for r, i in enumerate(idx):
            for pos in weighted[i]:  # token `pos` of the ids is predicted at pos - 1
                w[r, pos - 1] = weight
        ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100, reduction="none")
        return (ce * w.reshape(-1)).sum() / w.sum()

    return batch_loss


# ---------------------------------------------------------------------------------------------
# SFT


def sft(cfg: Dict, run: Run) -> str:
    hp = cfg["_hp"]
    b = load_base(cfg)
    vision, tok = b.vision, b.tok
    examples, pixels, data_hash = read_sft(cfg["train_file"], tok, b.image_tokens, vision is not None, b.image_size)
    n_img = sum(1 for e in examples if e[2] >= 0)
    emit("log", message=f"sft: {len(examples)} rows ({n_img} with an image) from {cfg['train_file']}; base {b.manifest.get('name')}")
    run.check()
    feats = frozen_features(vision, pixels)
    step, last_loss, seconds, _curve = optimise(run, b, hp, len(examples), causal_lm_loss(b, examples, feats), "sft", "rows")
    run.check()
    metrics = {"sft": {"rows": len(examples), "image_rows": n_img, "steps": step, "batch_size": hp["batch_size"], "epochs": hp["epochs"],
                       "lr": hp["lr"], "seed": hp["seed"], "final_loss": round(last_loss, 5), "seconds": round(seconds, 1)}}
    emit("log", message=f"sft: trained {step} steps in {seconds:.1f} s, final loss {last_loss:.4f}; exporting")
    return finish(run, cfg, b, role=b.manifest.get("role", "policy"), recipe="models/recipes/trainer.py (sft)", data_hash=data_hash,
                  metrics=metrics, checkpoint_extra={"sft": metrics["sft"], "base": b.manifest.get("name")})


# ---------------------------------------------------------------------------------------------
# PRM
