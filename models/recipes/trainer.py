"""Steplab's reference trainer: the trainer protocol of DESIGN.md ("Training").

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/recipes/trainer.py --config cfg.json

cfg.json:
    {
      "task": "sft",                          # "sft", "prm" or "orm"
      "base_model": "models/tiny-policy",     # a folder made by these recipes (checkpoint.pt + manifest.json)
      "train_file": "sft.jsonl",              # TRL-style rows, see below
      "output_dir": "out/policy-c1",          # must not exist yet (or be an empty folder)
      "hyperparameters": {"lr": 5e-4, "epochs": 1, "batch_size": 16, "seed": 0, "max_steps": null},
      "name": "policy-c1",                    # optional manifest name (default: the output folder's name)
      "cycle": 1                              # optional, recorded as provenance.cycle
    }
Hyperparameters may also be given at the top level (they win over the `hyperparameters` object).
Relative paths are taken from the current directory. The default lr is 5e-4 for sft, 3e-4 for prm and 1e-3 for orm.

SFT rows: {"messages": [{"role": "user", "content": PROMPT}, {"role": "assistant", "content": SOLUTION}],
"images": [PATH]}. PROMPT is either the text the model reads (the manifest's prompt template applied:
`Q: ...\n<image>\nS:\n`, optionally with an `R: ...` reflection line) or a bare question, which is
then formatted with the template; a row with one image must have one image token in its prompt.
SOLUTION is the step lines (`\n` after each); the loss covers them and </s>. Image paths are
relative to the JSONL file's folder, or data: URLs.

PRM (MM-PRM's process reward model): rows are TRL stepwise supervision, {"prompt": QUESTION,
"completions": [STEP, ...], "labels": [SOFT LABEL in [0, 1] (or true/false), ...], "images": [PATH]}.
The model reads `<image>\n` (with an image) + `Question: {QUESTION}\n` + `Process: ` + the steps, each
stripped and followed by <prm>, joined by `\n\n` (steplab_model.format_prm_input). The score of a
step is softmax([logit Yes, logit No])[0] at its <prm> position; the loss is the cross-entropy of
that pair against [t, 1 - t] at every tag. Extra keys (top level or in `hyperparameters`):
    "labels": "soft"                  # t = the label (an MC value); "hard": t = 1 if label > 0 else 0
    "dedupe": true                    # drop paths with the same question, image and steps after
                                      # whitespace/case normalisation (the first one is kept)
    "max_paths_per_problem": null     # keep at most this many paths per question + image (seeded)
    "val_file": null                  # rows of the same form: held-out step metrics at the end
    "lm_weight": 0.0                  # >= 0: adds lm_weight x next-token cross-entropy over the step text
                                      # (not question, tags or separators) of the steps before the first
                                      # step with target < 0.5
    "init_tag_from_newline": false    # copy the "\n" embedding into <prm>'s before training
The PRM starts from the base model's weights and trains the decoder and the vision projection.

ORM (MathSE's outcome reward model): rows are TRL conversations like sft's, {"messages": [{"role":
"user", "content": ORM INPUT}, {"role": "assistant", "content": JSON VERDICT}], "images": [PATH]}. The
ORM input is steplab_model.format_orm_input: `Q: ...\n` [`<image>\n`] `S:\n`, the solution's lines
(each followed by `\n`), then the verdict marker `V:\n` (what src-main's renderOrmPrompt writes). The
verdict is MathSE's JSON, {"status":"WRONG","error_step":3,"error_analysis":"step 3: ...",
"improvement_suggestion":"..."} (error_step 1-based over the lines; CORRECT has 0 and empty texts);
the trainer rewrites it compactly in that key order (orm.ts formatOrmTarget). A checking ORM's rows
(make_orm_data.py --checks) start the verdict with "checks", the line marks joined by `; `, kept
first (parseOrmOutput ignores it); a binary ORM drops it. The loss covers the verdict and </s>. Extra key (top level or in `hyperparameters`):
    "orm_kind": "diagnostic"          # or "binary": the target is {"status": ...} alone (the other
                                      # fields of the rows are dropped, so one row file serves both)
The base is a policy or an ORM of the demo family. Characters the rows need that its tokenizer lacks
(always `{`, `}`, `"`, `_` for a policy) are added as new tokens, and the tied embedding grows by rows
that start at the mean of the old ones. The manifest gets role "orm" and "ormTemplate"
{"verdict": "V:\n", "kind": orm_kind}; its sampling parameters are greedy with 160 new tokens (with
checks: the longest target plus 32, rounded up to 32; an ORM base's value is kept if larger).

stdout carries only JSON lines: {"event":"log","message":...}, {"event":"progress","step":n,"total":N,"loss":x},
{"event":"error","message":...}, and last {"event":"done","model":"<output_dir>"}. Exit status 0 on
success, 2 for a bad config or input, 1 for a failure while training, 143 after SIGTERM (which also
removes the partly written output). When stdin is a pipe (Steplab starts a trainer so, in its own
process group, and never writes to it), the trainer exits as after SIGTERM once it closes: Steplab is
gone (parent_watch.py; Node has no parent-death signal). The output is a complete model folder: ONNX graphs, tokenizer,
config, checkpoint.pt and manifest.json with provenance.parent = the base model's name (a PRM's
role is "prm" and its manifest has "prmTemplate"; an ORM's is "orm" with "ormTemplate").
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
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

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
    CHECKPOINT_FILE,
    IMAGE_TOKEN,
    ORM_CHECK_SEPARATOR,
    ORM_EXTRA_CHARS,
    ORM_KINDS,
    ORM_STATUSES,
    ORM_VERDICT,
    PRM_TEMPLATE,
    PRM_TOKEN,
    PROMPT_TEMPLATE,
    CharTokenizer,
    ImageDecodeError,
    LlamaForCausalLM,
    VisionEncoder,
    decode_images as _decode_images,
    extend_tokenizer_json,
    format_orm_target,
    format_prompt,
    load_checkpoint,
    merge_image_features,
    jsonl_rows,
    parse_prm_row,
    prm_log_probs,
    resize_token_embeddings,
    split_orm_input,
    SPECIAL_TOKENS,
)
from export_onnx import export_folder  # noqa: E402
import parent_watch  # noqa: E402

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
TASKS = ("sft", "prm", "orm")
HYPER = {"lr": 5e-4, "epochs": 1, "batch_size": 16, "seed": 0, "max_steps": None, "warmup_steps": None, "weight_decay": 0.0}
# Per-task defaults that differ from HYPER. PRM fine-tuning wants a small lr (MM-PRM); for the tiny
# model 3e-4 learns a planted cue in 100 steps where 1e-4 is still slow (models/recipes/README.md).
TASK_HYPER = {"prm": {"lr": 3e-4}, "orm": {"lr": 1e-3}}
PRM_OPTIONS = {"labels": "soft", "dedupe": True, "max_paths_per_problem": None, "val_file": None,
               "lm_weight": 0.0, "init_tag_from_newline": False, "prm_template": "mmprm"}
# The PRM's input layout: MM-PRM's (steplab_model.PRM_TEMPLATE), or the policy's own prompt layout
# ("Q: {question}\n" + "S:\n", steps separated by "\n"), in which a PRM initialised from the policy reads
# a solution the way the policy wrote it. Written to the manifest as "prmTemplate"; Steplab's scorer
# (src-main/core/reward/layout.ts) and prm_score.py read it from there.
PRM_TEMPLATES = {"mmprm": dict(PRM_TEMPLATE),
                 "policy": {"image": PRM_TEMPLATE["image"], "question": "Q: {question}\n", "process": "S:\n", "stepSeparator": "\n"}}
ORM_OPTIONS = {"orm_kind": "diagnostic"}
# The ORM's verdict is greedy and about 130 characters for the demo (the longest diagnostic targets).
ORM_SAMPLING = {"temperature": 0, "topK": 0, "topP": 1, "maxNewTokens": 160}
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
    for key in ("base_model", "train_file", "output_dir"):
        if not isinstance(cfg.get(key), str) or not cfg[key]:
            raise ConfigError(f'config: "{key}" is required (a path)')
    hp = {**HYPER, **TASK_HYPER.get(task, {})}
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
    known = set(KNOWN_KEYS)
    if task == "prm":
        cfg["_prm"] = read_prm_options(cfg, nested)
        known |= set(PRM_OPTIONS)
    if task == "orm":
        cfg["_orm"] = read_orm_options(cfg, nested)
        known |= set(ORM_OPTIONS)
    if "name" in cfg and (not isinstance(cfg["name"], str) or not NAME_RE.match(cfg["name"])):
        raise ConfigError('config: "name" must be letters, digits, . _ - (max 100), starting with a letter or digit')
    if "cycle" in cfg and cfg["cycle"] is not None and (not isinstance(cfg["cycle"], int) or isinstance(cfg["cycle"], bool)):
        raise ConfigError('config: "cycle" must be an integer')
    unknown = sorted(set(cfg) - known - {"_hp", "_prm", "_orm"})
    if unknown:
        emit("log", message=f"config: ignoring unknown keys {', '.join(unknown)}")
    return cfg


def read_prm_options(cfg: Dict, nested: Dict) -> Dict:
    opts = dict(PRM_OPTIONS)
    for source in (nested, cfg):
        for k, v in source.items():
            if k in PRM_OPTIONS:
                opts[k] = v
    if opts["labels"] not in ("soft", "hard"):
        raise ConfigError(f'config: "labels" must be "soft" or "hard", got {json.dumps(opts["labels"])}')
    if not isinstance(opts["dedupe"], bool):
        raise ConfigError(f'config: "dedupe" must be true or false, got {json.dumps(opts["dedupe"])}')
    cap = opts["max_paths_per_problem"]
    if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or cap < 1):
        raise ConfigError(f'config: "max_paths_per_problem" must be an integer >= 1 or null, got {json.dumps(cap)}')
    val = opts["val_file"]
    if val is not None and (not isinstance(val, str) or not val):
        raise ConfigError(f'config: "val_file" must be a path or null, got {json.dumps(val)}')
    w = opts["lm_weight"]
    if not isinstance(w, (int, float)) or isinstance(w, bool) or not math.isfinite(w) or w < 0:
        raise ConfigError(f'config: "lm_weight" must be a non-negative number, got {json.dumps(w)}')
    opts["lm_weight"] = float(w)
    if not isinstance(opts["init_tag_from_newline"], bool):
        raise ConfigError(f'config: "init_tag_from_newline" must be true or false, got {json.dumps(opts["init_tag_from_newline"])}')
    if opts["prm_template"] not in PRM_TEMPLATES:
        raise ConfigError(f'config: "prm_template" must be one of {", ".join(PRM_TEMPLATES)}, got {json.dumps(opts["prm_template"])}')
    return opts


def read_orm_options(cfg: Dict, nested: Dict) -> Dict:
    opts = dict(ORM_OPTIONS)
    for source in (nested, cfg):
        for k, v in source.items():
            if k in ORM_OPTIONS:
                opts[k] = v
    if opts["orm_kind"] not in ORM_KINDS:
        raise ConfigError(f'config: "orm_kind" must be "diagnostic" or "binary", got {json.dumps(opts["orm_kind"])}')
    return opts


def decode_images(refs: List[str], size: int) -> np.ndarray:
    """Grey-scale size x size pixels of each image, prepared by demo_tool.ts as the app prepares them."""
    try:
        return _decode_images(refs, size)
    except ImageDecodeError as e:
        raise ConfigError(str(e))


def hashed(lines: Iterable[str], h) -> Iterator[str]:
    """The lines, each added to the hash `h` as it passes (blank ones too)."""
    for line in lines:
        h.update(line.encode("utf-8"))
        yield line


def sft_convert(where: str, prompt: str, solution: str, images: List[str]) -> Tuple[str, str]:
    """sft's rows: a bare question is formatted with the template; the solution ends with a newline."""
    q_prefix = PROMPT_TEMPLATE["question"].split("{question}")[0]
    if not (prompt.startswith(q_prefix) and prompt.endswith(PROMPT_TEMPLATE["solution"])):
        prompt = format_prompt(prompt, bool(images))
    if not solution.endswith("\n"):
        solution += "\n"
    return prompt, solution


def read_sft(path: str, tok: CharTokenizer, image_tokens: int, has_vision: bool, image_size: int,
             convert: Callable[[str, str, str, List[str]], Tuple[str, str]] = sft_convert,
             tokenizer_for: Optional[Callable[[List[Tuple[str, str, str]]], CharTokenizer]] = None,
             context: Optional[int] = None):
    """Rows -> (examples [(ids, prompt_len, image index or -1)], pixels [M, H, W] uint8, hash).
    `convert(where, prompt, solution, images)` checks and rewrites each row's two texts (sft_convert by
    default); `tokenizer_for([(where, prompt, solution), ...])` may then give the tokenizer to encode
    them with (the ORM's, extended by the characters they need); rows longer than `context` tokens
    are errors."""
    base = os.path.dirname(os.path.abspath(path))
    examples: List[Tuple[List[int], int, int]] = []
    texts: List[Tuple[str, str, str]] = []
    row_images: List[int] = []
    refs: List[str] = []
    h = hashlib.sha256()
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"train_file {path}: {e.strerror}")
    with f:
        for _, where, row in jsonl_rows(hashed(f, h), os.path.basename(path), ConfigError):
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
            prompt, solution = convert(where, prompt, solution, images)
            if prompt.count(IMAGE_TOKEN) != len(images):
                raise ConfigError(f'{where}: the prompt has {prompt.count(IMAGE_TOKEN)} {IMAGE_TOKEN} tokens but "images" has {len(images)} entries')
            img = -1
            if images:
                ref = images[0]
                refs.append(ref if ref.startswith("data:") or os.path.isabs(ref) else os.path.join(base, ref))
                img = len(refs) - 1
            texts.append((where, prompt, solution))
            row_images.append(img)
    if not texts:
        raise ConfigError(f"train_file {path}: no rows")
    if tokenizer_for is not None:
        tok = tokenizer_for(texts)
    for (where, prompt, solution), img in zip(texts, row_images):
        ids, plen = tok.encode_example(prompt, solution, image_tokens)
        if context is not None and len(ids) > context:
            raise ConfigError(f"{where}: the row is {len(ids)} tokens long, more than the model's context of {context}; shorten the question or the solution")
        examples.append((ids, plen, img))
    pixels = decode_images(refs, image_size) if refs else np.zeros((0, image_size, image_size), dtype=np.uint8)
    if refs:
        h.update(pixels.tobytes())
    return examples, pixels, "sha256:" + h.hexdigest()


@dataclass
class PrmPath:
    line: int
    prompt: str
    steps: List[str]
    labels: List[float]  # as given (soft)
    image: str  # resolved path or data: URL; "" without a picture
    ids: List[int]
    tags: List[int]  # positions of the <prm> tokens in ids, one per step


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def problem_key(p: PrmPath) -> Tuple[str, str]:
    return (_norm(p.prompt), p.image)


def read_prm(path: str, what: str, tok: CharTokenizer, image_tokens: int, has_vision: bool, context: int,
             template: Optional[Dict[str, str]] = None):
    """TRL stepwise rows -> (paths, sha256 of the file's bytes). Every problem names the line and field."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise ConfigError(f"{what} {path}: {e.strerror}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{what} {path}: not UTF-8 text ({e.reason} at byte {e.start})")
    base = os.path.dirname(os.path.abspath(path))
    name = os.path.basename(path)
    paths: List[PrmPath] = []
    for n, where, row in jsonl_rows(text.splitlines(), name, ConfigError):
        try:
            prompt, steps, values, ref = parse_prm_row(row, where, base)
        except ValueError as e:
            raise ConfigError(str(e))
        if ref and not has_vision:
            raise ConfigError(f"{where}: the row has an image but the base model has no vision encoder")
        ids, tags = tok.encode_prm(prompt, steps, bool(ref), image_tokens, template)
        if len(tags) != len(steps):  # guarded above; a tokenizer without <prm> would end here
            raise ConfigError(f"{where}: {len(steps)} steps but {len(tags)} {PRM_TOKEN} tokens after tokenizing")
        if len(ids) > context:
            raise ConfigError(f"{where}: the row is {len(ids)} tokens long, more than the model's context of {context}; shorten the question or the steps")
        paths.append(PrmPath(n, prompt, [s for s in steps], values, ref, ids, tags))
    if not paths:
        raise ConfigError(f"{what} {path}: no rows")
    return paths, raw


def prm_pixels(paths: Sequence[PrmPath], image_size: int, name: str) -> Tuple[Dict[str, int], np.ndarray]:
    """Decodes each distinct picture once -> ({ref: index}, pixels [M, H, W] in first-use order)."""
    index: Dict[str, int] = {}
    first_line: List[int] = []
    for p in paths:
        if p.image and p.image not in index:
            index[p.image] = len(index)
            first_line.append(p.line)
    if not index:
        return index, np.zeros((0, image_size, image_size), dtype=np.uint8)
    try:
        return index, _decode_images(list(index), image_size)
    except ImageDecodeError as e:
        msg = str(e)
        m = re.match(r"image (\d+) ", msg)
        if m and 1 <= int(m.group(1)) <= len(first_line):
            msg = f'{name} line {first_line[int(m.group(1)) - 1]}: field "images": image ' + msg[m.end():]
        raise ConfigError(msg)


def select_paths(paths: List[PrmPath], dedupe: bool, cap: Optional[int], seed: int) -> Tuple[List[PrmPath], int]:
    """Drops repeated paths (same problem, same normalised steps; the first is kept) and keeps at most
    `cap` paths per problem, picked with a RandomState(seed) in problem order. Returns (kept, after dedupe)."""
    if dedupe:
        seen = set()
        kept = []
        for p in paths:
            key = (problem_key(p), tuple(_norm(s) for s in p.steps))
            if key not in seen:
                seen.add(key)
                kept.append(p)
        paths = kept
    after_dedupe = len(paths)
    if cap is not None:
        groups: Dict[Tuple[str, str], List[int]] = {}
        for i, p in enumerate(paths):
            groups.setdefault(problem_key(p), []).append(i)
        rng = np.random.RandomState(seed)
        keep = set()
        for idx in groups.values():
            keep.update(idx if len(idx) <= cap else [idx[j] for j in rng.choice(len(idx), cap, replace=False)])
        paths = [p for i, p in enumerate(paths) if i in keep]
    return paths, after_dedupe


def targets_of(p: PrmPath, mode: str) -> List[float]:
    return list(p.labels) if mode == "soft" else [1.0 if v > 0 else 0.0 for v in p.labels]


# ---------------------------------------------------------------------------------------------
# Shared by the tasks


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


def sft(cfg: Dict, run: Run) -> str:
    hp = cfg["_hp"]
    b = load_base(cfg)
    model, vision, tok = b.model, b.vision, b.tok
    examples, pixels, data_hash = read_sft(cfg["train_file"], tok, b.image_tokens, vision is not None, b.image_size)
    n_img = sum(1 for e in examples if e[2] >= 0)
    emit("log", message=f"sft: {len(examples)} rows ({n_img} with an image) from {cfg['train_file']}; base {b.manifest.get('name')}")
    run.check()
    feats = frozen_features(vision, pixels)
    pad = tok.pad_id

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
        embeds = model.embed(ids)
        if imgs:
            embeds = merge_image_features(embeds, ids, tok.image_id, vision.project(feats[torch.tensor(imgs)]))
        logits, _ = model(inputs_embeds=embeds)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)

    step, last_loss, seconds, _curve = optimise(run, b, hp, len(examples), batch_loss, "sft", "rows")
    run.check()
    metrics = {"sft": {"rows": len(examples), "image_rows": n_img, "steps": step, "batch_size": hp["batch_size"], "epochs": hp["epochs"],
                       "lr": hp["lr"], "seed": hp["seed"], "final_loss": round(last_loss, 5), "seconds": round(seconds, 1)}}
    emit("log", message=f"sft: trained {step} steps in {seconds:.1f} s, final loss {last_loss:.4f}; exporting")
    return finish(run, cfg, b, role=b.manifest.get("role", "policy"), recipe="models/recipes/trainer.py (sft)", data_hash=data_hash,
                  metrics=metrics, checkpoint_extra={"sft": metrics["sft"], "base": b.manifest.get("name")})


# ---------------------------------------------------------------------------------------------
# PRM


def prm_forward(b: Base, paths: Sequence[PrmPath], feats: Optional[torch.Tensor], image_index: Dict[str, int]) -> torch.Tensor:
    """Right-padded batch -> [tags, 2] log-probabilities of (Yes, No) at every <prm> tag, rows in order."""
    return prm_forward_logits(b, paths, feats, image_index)[0]


def prm_forward_logits(b: Base, paths: Sequence[PrmPath], feats: Optional[torch.Tensor],
                       image_index: Dict[str, int]) -> Tuple[torch.Tensor, torch.Tensor]:
    """prm_forward's tag log-probabilities and the batch's full [rows, width, vocab] logits."""
    model, tok = b.model, b.tok
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
    embeds = model.embed(ids)
    if imgs:
        embeds = merge_image_features(embeds, ids, tok.image_id, b.vision.project(feats[torch.tensor(imgs)]))
    logits, _ = model(inputs_embeds=embeds)  # causal: the right padding does not reach the tags
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
# ORM

ORM_ROW_HELP = ('orm rows are {"messages": [{"role": "user", "content": "Q: ...\\nS:\\n<one line per step>\\nV:\\n"}, '
                '{"role": "assistant", "content": "{\\"status\\":\\"WRONG\\",\\"error_step\\":2,...}"}], "images": [...]}')


def orm_convert(kind: str, verdict: str, counts: Dict[str, int]):
    """The ORM's row check: the user turn must be the ORM input (format_orm_input), the assistant turn a
    JSON verdict, rewritten as format_orm_target writes it (status only for a binary ORM)."""

    def convert(where: str, prompt: str, solution: str, images: List[str]) -> Tuple[str, str]:
        parts = split_orm_input(prompt, verdict)
        if parts is None:
            raise ConfigError(f'{where}: field "messages": the user content must be the ORM input, the policy prompt with the '
                              f'solution\'s lines written out and then {json.dumps(verdict)} (format_orm_input); got {json.dumps(prompt[-60:])} at its end; '
                              + ORM_ROW_HELP)
        _question, _has_image, steps = parts
        if not steps or any(not s.strip() for s in steps):
            raise ConfigError(f'{where}: field "messages": the solution in the user content has {"no lines" if not steps else "an empty line"}')
        try:
            v = json.loads(solution)
        except json.JSONDecodeError as e:
            raise ConfigError(f'{where}: field "messages": the assistant content is not a JSON verdict ({e.msg}); {ORM_ROW_HELP}')
        if not isinstance(v, dict):
            raise ConfigError(f'{where}: field "messages": the assistant content must be a JSON object; {ORM_ROW_HELP}')
        status = v.get("status")
        if status not in ORM_STATUSES:
            raise ConfigError(f'{where}: field "messages": the verdict\'s "status" must be "CORRECT" or "WRONG", got {json.dumps(status)}')
        counts[status] += 1
        if kind == "binary":
            return prompt, format_orm_target(status, binary=True)
        step = v.get("error_step", 0)
        texts = {}
        for k in ("error_analysis", "improvement_suggestion"):
            t = v.get(k, "")
            if not isinstance(t, str):
                raise ConfigError(f'{where}: field "messages": the verdict\'s "{k}" must be a string, got {json.dumps(t)[:40]}')
            texts[k] = t
        if status == "WRONG":
            if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= len(steps):
                raise ConfigError(f'{where}: field "messages": the verdict\'s "error_step" must be a line number 1..{len(steps)} '
                                  f'(the solution has {len(steps)} lines), got {json.dumps(step)}')
            if not texts["error_analysis"].strip():
                raise ConfigError(f'{where}: field "messages": a WRONG verdict needs an "error_analysis" (or train with "orm_kind": "binary")')
        elif step not in (0, None) or texts["error_analysis"] or texts["improvement_suggestion"]:
            raise ConfigError(f'{where}: field "messages": a CORRECT verdict has "error_step" 0 and empty "error_analysis" and "improvement_suggestion"')
        checks = v.get("checks")
        if checks is not None:
            if isinstance(checks, str):
                checks = checks.split(ORM_CHECK_SEPARATOR)
            if not isinstance(checks, list) or not all(isinstance(c, str) and "\n" not in c for c in checks):
                raise ConfigError(f'{where}: field "messages": the verdict\'s "checks" must be a one-line string (or a list of them), got {json.dumps(checks)[:60]}')
            counts["checked"] += 1
        return prompt, format_orm_target(status, step if status == "WRONG" else 0, texts["error_analysis"], texts["improvement_suggestion"],
                                         checks=checks)

    return convert


def orm_tokenizer(b: Base, tmp: str, added_out: List[str]):
    """tokenizer_for of read_sft: b's tokenizer extended by the JSON characters and any other character
    the rows use that it lacks; writes the three tokenizer files into `tmp` for the export."""

    def tokenizer_for(texts: List[Tuple[str, str, str]]) -> CharTokenizer:
        with open(os.path.join(b.path, "tokenizer.json"), encoding="utf-8") as f:
            tj = json.load(f)
        seen = set()
        for _where, prompt, solution in texts:
            for t in (prompt, solution):
                for sp in SPECIAL_TOKENS:
                    t = t.replace(sp, "")
                seen.update(t)
        known = set(tj["model"]["vocab"])
        others = sorted(c for c in seen if c not in known and c not in ORM_EXTRA_CHARS)
        if len(others) > 64:
            raise ConfigError(f"train_file: the rows use {len(others)} characters the base tokenizer lacks (more than 64), e.g. {''.join(others[:20])!r}")
        tj, added = extend_tokenizer_json(tj, [*ORM_EXTRA_CHARS, *others])
        added_out.extend(added)
        with open(os.path.join(tmp, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(tj, f, indent=2, ensure_ascii=False)
            f.write("\n")
        for name in ("tokenizer_config.json", "special_tokens_map.json"):
            shutil.copyfile(os.path.join(b.path, name), os.path.join(tmp, name))
        return CharTokenizer(tj)

    return tokenizer_for


def orm(cfg: Dict, run: Run) -> str:
    hp, opts = cfg["_hp"], cfg["_orm"]
    kind = opts["orm_kind"]
    b = load_base(cfg)
    verdict = (b.manifest.get("ormTemplate") or {}).get("verdict", ORM_VERDICT)
    counts = {"CORRECT": 0, "WRONG": 0, "checked": 0}
    added: List[str] = []
    tmp = tempfile.mkdtemp(prefix="steplab-orm-tokenizer-")
    try:
        examples, pixels, data_hash = read_sft(
            cfg["train_file"], b.tok, b.image_tokens, b.vision is not None, b.image_size,
            convert=orm_convert(kind, verdict, counts), tokenizer_for=orm_tokenizer(b, tmp, added),
            context=b.model.config.max_position_embeddings,
        )
        tok = CharTokenizer.from_file(os.path.join(tmp, "tokenizer.json"))
        old_vocab = b.model.config.vocab_size
        if tok.vocab_size > old_vocab:
            b.model = resize_token_embeddings(b.model, tok.vocab_size)
        b.tok = tok
        model, vision = b.model, b.vision
        n_img = sum(1 for e in examples if e[2] >= 0)
        target_tokens = sum(len(e[0]) - e[1] for e in examples)
        # A checking ORM's verdicts (with "checks") are longer than 160 tokens: room for the longest
        # target (with </s>) plus a margin, rounded up to 32.
        longest = max(len(e[0]) - e[1] for e in examples)
        sampling = dict(ORM_SAMPLING)
        if counts["checked"]:
            sampling["maxNewTokens"] = max(ORM_SAMPLING["maxNewTokens"], -(-(longest + 32) // 32) * 32)
        if b.manifest.get("role") == "orm":  # a checking base keeps its room even on rows without checks
            sampling["maxNewTokens"] = max(sampling["maxNewTokens"], int((b.manifest.get("parameters") or {}).get("maxNewTokens") or 0))
        emit("log", message=(f"orm ({kind}): {len(examples)} rows ({n_img} with an image; {counts['CORRECT']} CORRECT, {counts['WRONG']} WRONG) "
                             f"from {cfg['train_file']}; {counts['checked']} with checks; {target_tokens} target tokens (longest {longest}); base {b.manifest.get('name')}; "
                             f"vocabulary {old_vocab} -> {model.config.vocab_size} (added {json.dumps(''.join(added))})"))
        run.check()
        feats = frozen_features(vision, pixels)
        pad = tok.pad_id

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
            embeds = model.embed(ids)
            if imgs:
                embeds = merge_image_features(embeds, ids, tok.image_id, vision.project(feats[torch.tensor(imgs)]))
            logits, _ = model(inputs_embeds=embeds)
            return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)

        step, last_loss, seconds, curve = optimise(run, b, hp, len(examples), batch_loss, f"orm ({kind})", "rows")
        run.check()
        metrics = {"orm": {
            "kind": kind, "rows": len(examples), "image_rows": n_img, "correct_rows": counts["CORRECT"], "wrong_rows": counts["WRONG"],
            "target_tokens": target_tokens, "longest_target": longest, "checked_rows": counts["checked"], "added_tokens": added, "vocab_size": model.config.vocab_size,
            "steps": step, "batch_size": hp["batch_size"], "epochs": hp["epochs"], "lr": hp["lr"], "seed": hp["seed"],
            "final_loss": round(last_loss, 5), "seconds": round(seconds, 1), "loss_curve": curve,
        }}
        emit("log", message=f"orm ({kind}): trained {step} steps in {seconds:.1f} s, final loss {last_loss:.4f}; exporting")
        template = {"verdict": verdict, "kind": kind}
        return finish(run, cfg, b, role="orm", recipe="models/recipes/trainer.py (orm)", data_hash=data_hash, metrics=metrics,
                      checkpoint_extra={"orm": {k: v for k, v in metrics["orm"].items() if k != "loss_curve"}, "orm_template": template,
                                        "base": b.manifest.get("name")},
                      tokenizer_dir=tmp, manifest_overrides={"ormTemplate": template, "parameters": sampling})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description="Steplab trainer protocol (see the module docstring).")
    ap.add_argument("--config", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    run = Run()
    signal.signal(signal.SIGTERM, run.on_signal)
    signal.signal(signal.SIGINT, run.on_signal)
    # the protocol: exit when stdin (a pipe Steplab holds and never writes) closes, i.e. Steplab is gone
    parent_watch.exit_when_stdin_closes()
    try:
        cfg = read_config(args.config)
        out = {"sft": sft, "prm": prm, "orm": orm}[cfg["task"]](cfg, run)
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
