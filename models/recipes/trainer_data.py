"""The trainer's training files read and checked (trainer.py's docstring): SFT conversations and PRM stepwise
rows, their images, the PRM paths' dedupe and per-problem cap, and the targets a path trains towards."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np
from steplab_model import (
    IMAGE_TOKEN,
    PRM_TOKEN,
    PROMPT_TEMPLATE,
    CharTokenizer,
    ImageDecodeError,
    decode_images as _decode_images,
    format_prompt,
    jsonl_rows,
    parse_prm_row,
)
from trainer_protocol import ConfigError


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
