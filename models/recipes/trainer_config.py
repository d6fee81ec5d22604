"""The trainer's config file (trainer.py's docstring): the task, paths, hyperparameters and the PRM and ORM
options, checked into one dict with `_hp`, `_prm` and `_orm`; a problem is a ConfigError naming the key."""

from __future__ import annotations

import json
import math
import re
from typing import Dict

from steplab_model import ORM_KINDS, PRM_TEMPLATE
from trainer_protocol import ConfigError, emit


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
                 "policy": {"image": PRM_TEMPLATE["image"], "question": "Q: {question}\n", "process": "S:\n", "stepSeparator": "\n"},
                 # MM-PRM's layout with a calculator's check of every `a op b = c` (steplab_formats.calculator_notes):
                 # " (=v)" where the written result is v = a op b, " (!=v)" where it is not
                 "mmprm-calculator": {**PRM_TEMPLATE, "calculator": " (={value})", "calculatorMismatch": " (!={value})"},
                 # the same with the calculator's value alone, " (=v)" after every such expression (a diagnostic)
                 "mmprm-calculator-value": {**PRM_TEMPLATE, "calculator": " (={value})"}}
ORM_OPTIONS = {"orm_kind": "diagnostic", "orm_numbered": False, "orm_step_weight": 1.0, "orm_prm_layout": False, "orm_calculator": False}
# The ORM's verdict is greedy and about 130 characters for the demo (the longest diagnostic targets).
ORM_SAMPLING = {"temperature": 0, "topK": 0, "topP": 1, "maxNewTokens": 160}
KNOWN_KEYS = {"task", "base_model", "train_file", "output_dir", "hyperparameters", "name", "cycle", *HYPER}


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
    if not isinstance(opts["orm_numbered"], bool):
        raise ConfigError(f'config: "orm_numbered" must be true or false, got {json.dumps(opts["orm_numbered"])}')
    if not isinstance(opts["orm_prm_layout"], bool):
        raise ConfigError(f'config: "orm_prm_layout" must be true or false, got {json.dumps(opts["orm_prm_layout"])}')
    if not isinstance(opts["orm_calculator"], bool):
        raise ConfigError(f'config: "orm_calculator" must be true or false, got {json.dumps(opts["orm_calculator"])}')
    w = opts["orm_step_weight"]
    if isinstance(w, bool) or not isinstance(w, (int, float)) or not 1 <= w <= 1000:
        raise ConfigError(f'config: "orm_step_weight" must be a number from 1 to 1000 (the loss weight of the error_step tokens), got {json.dumps(w)}')
    if opts["orm_kind"] == "binary" and w != 1:
        raise ConfigError('config: "orm_step_weight" weighs the error_step of a diagnostic ORM; a binary ORM writes no step')
    opts["orm_step_weight"] = float(w)
    return opts
