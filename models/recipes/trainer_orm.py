"""The trainer's orm task (trainer.py's docstring): MathSE's outcome reward model, its rows checked and their
verdicts rewritten compactly, the tokenizer grown by the characters the verdicts need, a causal LM loss."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import Dict, List, Optional, Tuple

from steplab_model import (
    ORM_CHECK_SEPARATOR,
    ORM_EXTRA_CHARS,
    ORM_STATUSES,
    ORM_VERDICT,
    PRM_TEMPLATE,
    CharTokenizer,
    extend_tokenizer_json,
    format_orm_input,
    format_orm_target,
    resize_token_embeddings,
    split_orm_input,
    SPECIAL_TOKENS,
)
from trainer_protocol import ConfigError, Run, emit
from trainer_config import PRM_TEMPLATES, ORM_SAMPLING
from trainer_data import read_sft
from trainer_training import Base, causal_lm_loss, finish, frozen_features, load_base, optimise


ORM_ROW_HELP = ('orm rows are {"messages": [{"role": "user", "content": "Q: ...\\nS:\\n<one line per step>\\nV:\\n"}, '
                '{"role": "assistant", "content": "{\\"status\\":\\"WRONG\\",\\"error_step\\":2,...}"}], "images": [...]}')


def orm_convert(kind: str, verdict: str, counts: Dict[str, int], numbered: bool = False, prm_layout: Optional[Dict[str, str]] = None,
                calculator: Optional[Dict[str, str]] = None):
    """The ORM's row check: the user turn must be the ORM input (format_orm_input), the assistant turn a
    JSON verdict, rewritten as format_orm_target writes it (status only for a binary ORM). With
    `prm_layout` (a prmTemplate) the input is laid out again as the PRM input, a <prm> tag after each line,
    then the verdict marker: an experiment (models/recipes/README.md), not a layout Steplab writes."""

    def convert(where: str, prompt: str, solution: str, images: List[str]) -> Tuple[str, str]:
        (question, has_image, steps), target = checked(where, prompt, solution)
        if calculator is not None:  # numbered lines, each with the calculator's check: an experiment
            return format_orm_input(question, steps, has_image, verdict, numbered=True, calculator=calculator), target
        return (prompt if prm_layout is None else format_orm_input(question, steps, has_image, verdict, prm_layout=prm_layout)), target

    def checked(where: str, prompt: str, solution: str) -> Tuple[Tuple[str, bool, List[str]], str]:
        """(the input's question, has image and steps; the target)"""
        parts = split_orm_input(prompt, verdict, numbered)
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
            return parts, format_orm_target(status, binary=True)
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
        return parts, format_orm_target(status, step if status == "WRONG" else 0, texts["error_analysis"], texts["improvement_suggestion"],
                                         checks=checks)

    return convert


STEP_KEY = '"error_step":'


def step_positions(tok: CharTokenizer, ids: List[int], plen: int) -> List[int]:
    """The positions in `ids` of the digits of a WRONG target's error_step (none for a CORRECT one): the
    target is read token by token, each token's text from the tokenizer."""
    texts = [tok.decode([i]) for i in ids[plen:]]
    starts, n = [], 0
    for t in texts:
        starts.append(n)
        n += len(t)
    target = "".join(texts)
    at = target.find(STEP_KEY)
    if at < 0 or '"status":"CORRECT"' in target:
        return []
    k = at + len(STEP_KEY)
    end = k
    while end < len(target) and target[end].isdigit():
        end += 1
    return [plen + j for j, s in enumerate(starts) if k <= s < end]


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
    prm_layout = (b.manifest.get("prmTemplate") or PRM_TEMPLATE) if opts["orm_prm_layout"] else None
    calculator = {k: PRM_TEMPLATES["mmprm-calculator"][k] for k in ("calculator", "calculatorMismatch")} if opts["orm_calculator"] else None
    added: List[str] = []
    tmp = tempfile.mkdtemp(prefix="steplab-orm-tokenizer-")
    try:
        examples, pixels, data_hash = read_sft(
            cfg["train_file"], b.tok, b.image_tokens, b.vision is not None, b.image_size,
            convert=orm_convert(kind, verdict, counts, opts["orm_numbered"], prm_layout, calculator), tokenizer_for=orm_tokenizer(b, tmp, added),
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
        step_weight = opts["orm_step_weight"]
        weighted = [step_positions(tok, ids, plen) for ids, plen, _img in examples] if step_weight != 1.0 else None
        if weighted is not None:
            emit("log", message=f"orm ({kind}): the error_step tokens of {sum(1 for w in weighted if w)} rows weigh {step_weight:g} in the loss")
        step, last_loss, seconds, curve = optimise(run, b, hp, len(examples), causal_lm_loss(b, examples, feats, weighted, step_weight),
                                                   f"orm ({kind})", "rows")
        run.check()
        metrics = {"orm": {
            "kind": kind, "rows": len(examples), "image_rows": n_img, "correct_rows": counts["CORRECT"], "wrong_rows": counts["WRONG"],
            "target_tokens": target_tokens, "longest_target": longest, "checked_rows": counts["checked"], "added_tokens": added, "vocab_size": model.config.vocab_size,
            "steps": step, "batch_size": hp["batch_size"], "epochs": hp["epochs"], "lr": hp["lr"], "seed": hp["seed"],
            "final_loss": round(last_loss, 5), "seconds": round(seconds, 1), "loss_curve": curve,
        }}
        emit("log", message=f"orm ({kind}): trained {step} steps in {seconds:.1f} s, final loss {last_loss:.4f}; exporting")
        template = {"verdict": verdict, "kind": kind}
        # numbered lines are an experiment (models/recipes/README.md): Steplab's renderOrmPrompt does not write them, so the
        # manifest's ormTemplate leaves them out; such a folder is for eval_orm.py, which reads metrics.orm.numbered
        metrics["orm"]["numbered"] = opts["orm_numbered"] or calculator is not None
        if calculator is not None:  # for eval_orm.py, like "numbered"
            metrics["orm"]["calculator"] = calculator
        if weighted is not None:
            metrics["orm"]["step_weight"] = step_weight
        if prm_layout is not None:  # for eval_orm.py, like "numbered"
            metrics["orm"]["prm_layout"] = prm_layout
        return finish(run, cfg, b, role="orm", recipe="models/recipes/trainer.py (orm)", data_hash=data_hash, metrics=metrics,
                      checkpoint_extra={"orm": {k: v for k, v in metrics["orm"].items() if k != "loss_curve"}, "orm_template": {**template, "numbered": opts["orm_numbered"]},
                                        "base": b.manifest.get("name")},
                      tokenizer_dir=tmp, manifest_overrides={"ormTemplate": template, "parameters": sampling})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
