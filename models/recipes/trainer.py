"""Steplab's reference trainer: the trainer protocol of DESIGN.md ("Training").

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/recipes/trainer.py --config cfg.json

cfg.json:
    {
      "task": "sft",                          # "sft"; "prm" and "orm" are answered with an error for now
      "base_model": "models/tiny-policy",     # a folder made by these recipes (checkpoint.pt + manifest.json)
      "train_file": "sft.jsonl",              # TRL-style rows, see below
      "output_dir": "out/policy-c1",          # must not exist yet (or be an empty folder)
      "hyperparameters": {"lr": 5e-4, "epochs": 1, "batch_size": 16, "seed": 0, "max_steps": null},
      "name": "policy-c1",                    # optional manifest name (default: the output folder's name)
      "cycle": 1                              # optional, recorded as provenance.cycle
    }
Hyperparameters may also be given at the top level (they win over the `hyperparameters` object).
Relative paths are taken from the current directory.

SFT rows: {"messages": [{"role": "user", "content": PROMPT}, {"role": "assistant", "content": SOLUTION}],
"images": [PATH]}. PROMPT is either the text the model reads (the manifest's prompt template applied:
`Q: ...\\n<image>\\nS:\\n`, optionally with an `R: ...` reflection line) or a bare question, which is
then formatted with the template; a row with one image must have one image token in its prompt.
SOLUTION is the step lines (`\\n` after each); the loss covers them and </s>. Image paths are
relative to the JSONL file's folder, or data: URLs.

stdout carries only JSON lines: {"event":"log","message":...}, {"event":"progress","step":n,"total":N,"loss":x},
{"event":"error","message":...}, and last {"event":"done","model":"<output_dir>"}. Exit status 0 on
success, 2 for a bad config or input, 1 for a failure while training, 143 after SIGTERM (which also
removes the partly written output). The output is a complete model folder: ONNX graphs, tokenizer,
config, checkpoint.pt and manifest.json with provenance.parent = the base model's name.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

# The protocol owns stdout. Everything else, native libraries' prints included, goes to stderr:
# fd 1 is pointed at stderr and the events are written to a private copy of the original stdout.
_STDOUT = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
sys.stdout.flush()
os.dup2(2, 1)
sys.stdout = sys.stderr

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from steplab_model import (  # noqa: E402
    REPO_ROOT,
    CHECKPOINT_FILE,
    IMAGE_TOKEN,
    PROMPT_TEMPLATE,
    CharTokenizer,
    format_prompt,
    load_checkpoint,
    merge_image_features,
)
from export_onnx import export_folder  # noqa: E402

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
TASKS = ("sft", "prm", "orm")
HYPER = {"lr": 5e-4, "epochs": 1, "batch_size": 16, "seed": 0, "max_steps": None, "warmup_steps": None, "weight_decay": 0.0}
KNOWN_KEYS = {"task", "base_model", "train_file", "output_dir", "hyperparameters", "name", "cycle", *HYPER}


def emit(event: str, **fields) -> None:
    _STDOUT.write(json.dumps({"event": event, **fields}) + "\n")
    _STDOUT.flush()


class ConfigError(Exception):
    """A problem the user can fix in the config or the training file (exit 2)."""


class Cancelled(Exception):
    pass


class Run:
    """Holds the SIGTERM flag and the staging folder that must not survive a cancel or a failure."""

    def __init__(self) -> None:
        self.cancelled = False
        self.staging: Optional[str] = None

    def on_signal(self, signum, _frame) -> None:
        self.cancelled = True

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled()

    def cleanup(self) -> None:
        if self.staging and os.path.isdir(self.staging):
            shutil.rmtree(self.staging, ignore_errors=True)
        self.staging = None


# ---------------------------------------------------------------------------------------------
# Config and data


def read_config(path: str) -> Dict:
    try:
        with open(path, encoding="utf-8") as f:
            cfg = json.load(f)
    except OSError as e:
        raise ConfigError(f"config {path}: {e.strerror}")
    except json.JSONDecodeError as e:
        raise ConfigError(f"config {path}: not JSON ({e})")
    if not isinstance(cfg, dict):
        raise ConfigError(f"config {path}: expected a JSON object")
    task = cfg.get("task")
    if task not in TASKS:
        raise ConfigError(f'config: "task" must be one of {", ".join(TASKS)}, got {json.dumps(task)}')
    if task != "sft":
        return cfg
    for key in ("base_model", "train_file", "output_dir"):
        if not isinstance(cfg.get(key), str) or not cfg[key]:
            raise ConfigError(f'config: "{key}" is required (a path)')
    hp = dict(HYPER)
    nested = cfg.get("hyperparameters", {})
    if not isinstance(nested, dict):
        raise ConfigError('config: "hyperparameters" must be an object')
    for source in (nested, cfg):
        for k, v in source.items():
            if k in HYPER:
                hp[k] = v
    for k in ("lr", "weight_decay"):
        if not isinstance(hp[k], (int, float)) or isinstance(hp[k], bool) or hp[k] < 0 or (k == "lr" and hp[k] == 0):
            raise ConfigError(f'config: "{k}" must be a {"positive" if k == "lr" else "non-negative"} number, got {json.dumps(hp[k])}')
    for k in ("epochs", "batch_size", "seed", "max_steps", "warmup_steps"):
        v = hp[k]
        if v is None and k in ("max_steps", "warmup_steps"):
            continue
        if not isinstance(v, int) or isinstance(v, bool) or v < (0 if k in ("seed", "warmup_steps") else 1):
            raise ConfigError(f'config: "{k}" must be an integer >= {0 if k in ("seed", "warmup_steps") else 1}, got {json.dumps(v)}')
    cfg["_hp"] = hp
    if "name" in cfg and (not isinstance(cfg["name"], str) or not NAME_RE.match(cfg["name"])):
        raise ConfigError('config: "name" must be letters, digits, . _ - (max 100), starting with a letter or digit')
    if "cycle" in cfg and cfg["cycle"] is not None and (not isinstance(cfg["cycle"], int) or isinstance(cfg["cycle"], bool)):
        raise ConfigError('config: "cycle" must be an integer')
    unknown = sorted(set(cfg) - KNOWN_KEYS - {"_hp"})
    if unknown:
        emit("log", message=f"config: ignoring unknown keys {', '.join(unknown)}")
    return cfg


def decode_images(refs: List[str], size: int) -> np.ndarray:
    """Grey-scale size x size pixels of each image, prepared by demo_tool.ts as the app prepares them."""
    with tempfile.TemporaryDirectory(prefix="steplab-trainer-") as tmp:
        lst = os.path.join(tmp, "images.json")
        out = os.path.join(tmp, "pixels.u8")
        with open(lst, "w", encoding="utf-8") as f:
            json.dump(refs, f)
        res = subprocess.run(
            ["node", "bin/run-ts.js", "models/recipes/demo_tool.ts", "decode", "--in", lst, "--out", out, "--size", str(size)],
            cwd=REPO_ROOT, capture_output=True, text=True,
        )
        if res.returncode != 0:
            msg = res.stderr.strip().splitlines()
            raise ConfigError(msg[0].replace("demo_tool: ", "") if msg else "image decoding failed")
        return np.fromfile(out, dtype=np.uint8).reshape(len(refs), size, size)


def read_sft(path: str, tok: CharTokenizer, image_tokens: int, has_vision: bool, image_size: int):
    """Rows -> (examples [(ids, prompt_len, image index or -1)], pixels [M, H, W] uint8, hash)."""
    base = os.path.dirname(os.path.abspath(path))
    examples: List[Tuple[List[int], int, int]] = []
    refs: List[str] = []
    h = hashlib.sha256()
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"train_file {path}: {e.strerror}")
    with f:
        for n, line in enumerate(f, start=1):
            h.update(line.encode("utf-8"))
            if not line.strip():
                continue
            where = f"{os.path.basename(path)} line {n}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ConfigError(f"{where}: not JSON ({e.msg})")
            msgs = row.get("messages") if isinstance(row, dict) else None
            if not isinstance(msgs, list) or len(msgs) < 2:
                raise ConfigError(f'{where}: field "messages": needs a user and an assistant message')
            user = [m for m in msgs if isinstance(m, dict) and m.get("role") == "user"]
            asst = [m for m in msgs if isinstance(m, dict) and m.get("role") == "assistant"]
            if len(user) != 1 or len(asst) != 1:
                raise ConfigError(f'{where}: field "messages": expected exactly one user and one assistant message')
            prompt, solution = user[0].get("content"), asst[0].get("content")
            if not isinstance(prompt, str) or not isinstance(solution, str) or not solution.strip():
                raise ConfigError(f'{where}: field "messages": contents must be text, the assistant\'s not empty')
            images = row.get("images") or []
            if not isinstance(images, list) or not all(isinstance(x, str) for x in images) or len(images) > 1:
                raise ConfigError(f'{where}: field "images": expected a list of at most one path')
            if images and not has_vision:
                raise ConfigError(f"{where}: the row has an image but the base model has no vision encoder")
            q_prefix = PROMPT_TEMPLATE["question"].split("{question}")[0]
            if not (prompt.startswith(q_prefix) and prompt.endswith(PROMPT_TEMPLATE["solution"])):
                prompt = format_prompt(prompt, bool(images))
            if prompt.count(IMAGE_TOKEN) != len(images):
                raise ConfigError(f'{where}: the prompt has {prompt.count(IMAGE_TOKEN)} {IMAGE_TOKEN} tokens but "images" has {len(images)} entries')
            if not solution.endswith("\n"):
                solution += "\n"
            ids, plen = tok.encode_example(prompt, solution, image_tokens)
            img = -1
            if images:
                ref = images[0]
                refs.append(ref if ref.startswith("data:") or os.path.isabs(ref) else os.path.join(base, ref))
                img = len(refs) - 1
            examples.append((ids, plen, img))
    if not examples:
        raise ConfigError(f"train_file {path}: no rows")
    pixels = decode_images(refs, image_size) if refs else np.zeros((0, image_size, image_size), dtype=np.uint8)
    if refs:
        h.update(pixels.tobytes())
    return examples, pixels, "sha256:" + h.hexdigest()


# ---------------------------------------------------------------------------------------------
# SFT


def sft(cfg: Dict, run: Run) -> str:
    hp = cfg["_hp"]
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

    torch.manual_seed(hp["seed"])
    model, vision, extra = load_checkpoint(ckpt)
    tok = CharTokenizer.from_file(os.path.join(base, "tokenizer.json"))
    image_tokens = vision.config.tokens if vision is not None else 1
    image_size = vision.config.image_size if vision is not None else 48
    if vision is not None and vision.config.channels != 1:
        raise ConfigError("base_model: this trainer prepares grey-scale pictures; the vision encoder wants 3 channels")
    examples, pixels, data_hash = read_sft(cfg["train_file"], tok, image_tokens, vision is not None, image_size)
    n_img = sum(1 for e in examples if e[2] >= 0)
    emit("log", message=f"sft: {len(examples)} rows ({n_img} with an image) from {cfg['train_file']}; base {base_manifest.get('name')}")
    run.check()

    feats = None
    if vision is not None:
        vision.eval()
        for p in vision.backbone.parameters():
            p.requires_grad_(False)
        if len(pixels):
            with torch.no_grad():
                feats = vision.backbone.features(vision.normalise(torch.from_numpy(pixels)))

    bs = hp["batch_size"]
    per_epoch = math.ceil(len(examples) / bs)
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
    pad = tok.pad_id
    step = 0
    t0 = time.time()
    last_loss = float("nan")
    emit("log", message=f"sft: {total} steps of {bs} rows, lr {hp['lr']}, warmup {warmup}")
    model.train()
    while step < total:
        order = rng.permutation(len(examples))
        for b in range(0, len(order), bs):
            if step >= total:
                break
            run.check()
            idx = order[b:b + bs]
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
            embeds = model.embed(ids)
            if imgs:
                embeds = merge_image_features(embeds, ids, tok.image_id, vision.project(feats[torch.tensor(imgs)]))
            lr = hp["lr"] * min(1.0, (step + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / max(1, total))))
            for g in opt.param_groups:
                g["lr"] = lr
            logits, _ = model(inputs_embeds=embeds)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            step += 1
            last_loss = float(loss)
            emit("progress", step=step, total=total, loss=round(last_loss, 5))
    seconds = time.time() - t0
    run.check()

    name = cfg.get("name")
    if not name:
        name = os.path.basename(out.rstrip(os.sep))
        if not NAME_RE.match(name):
            name = f"{base_manifest.get('name', 'model')}-sft"[:100]
    parent_dir = os.path.dirname(out) or "."
    os.makedirs(parent_dir, exist_ok=True)
    run.staging = tempfile.mkdtemp(prefix=f".{os.path.basename(out)}.partial-", dir=parent_dir)
    metrics = {"sft": {"rows": len(examples), "image_rows": n_img, "steps": step, "batch_size": bs, "epochs": hp["epochs"],
                       "lr": hp["lr"], "seed": hp["seed"], "final_loss": round(last_loss, 5), "seconds": round(seconds, 1)}}
    emit("log", message=f"sft: trained {step} steps in {seconds:.1f} s, final loss {last_loss:.4f}; exporting")
    model.eval()
    export_folder(
        model, vision, base, run.staging, name=name, role=base_manifest.get("role", "policy"), recipe="models/recipes/trainer.py (sft)",
        data_hash=data_hash, parent=base_manifest.get("name"), metrics=metrics,
        checkpoint_extra={"sft": metrics["sft"], "base": base_manifest.get("name")},
    )
    manifest_file = os.path.join(run.staging, "manifest.json")
    with open(manifest_file, encoding="utf-8") as f:
        manifest = json.load(f)
    manifest["provenance"]["cycle"] = cfg.get("cycle")
    for key in ("parameters", "contextLength", "promptTemplate", "stepDelimiter", "family"):
        if key in base_manifest:
            manifest[key] = base_manifest[key]
    with open(manifest_file, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
    run.check()
    if os.path.isdir(out):
        os.rmdir(out)  # empty, checked above
    os.rename(run.staging, out)
    run.staging = None
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(out, 0o777 & ~umask)  # mkdtemp made the staging folder private
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description="Steplab trainer protocol (see the module docstring).")
    ap.add_argument("--config", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    run = Run()
    signal.signal(signal.SIGTERM, run.on_signal)
    signal.signal(signal.SIGINT, run.on_signal)
    try:
        cfg = read_config(args.config)
        if cfg["task"] != "sft":
            emit("error", message=f"task {cfg['task']} is not implemented by this trainer yet")
            return 2
        out = sft(cfg, run)
        emit("done", model=out)
        # The folder is complete and reported; a late SIGTERM must not turn that into a failure.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        return 0
    except BaseException as e:  # noqa: B902 - every way out must remove the partial output
        run.cleanup()
        if run.cancelled or isinstance(e, Cancelled):
            # A signal can also surface as a failed child process or an interrupted call.
            emit("error", message="cancelled (SIGTERM); no output written")
            return 143
        if isinstance(e, ConfigError):
            emit("error", message=str(e))
            return 2
        emit("error", message=f"{type(e).__name__}: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
