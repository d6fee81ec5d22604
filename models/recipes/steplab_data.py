"""What the recipes read: the demo family's tokenizer (CharTokenizer, checked against @huggingface/tokenizers
by check_tokenizer), JSONL rows and TRL stepwise PRM rows, and pictures decoded as the app decodes them."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Type

import numpy as np

from steplab_formats import IMAGE_TOKEN, PRM_TOKEN, PRM_YES, PRM_NO, format_prm_input

# the repository root: the recipes call node scripts from there
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ---------------------------------------------------------------------------------------------
# Tokenizer


class CharTokenizer:
    """Reads the demo family's tokenizer.json (BPE with a character vocabulary and no merges)."""

    def __init__(self, tokenizer_json: Dict):
        model = tokenizer_json["model"]
        if model.get("type") != "BPE" or model.get("merges"):
            raise ValueError("expected a BPE model with a character vocabulary and no merges")
        self.vocab: Dict[str, int] = dict(model["vocab"])
        self.specials: Dict[str, int] = {t["content"]: t["id"] for t in tokenizer_json.get("added_tokens", [])}
        for content, i in self.specials.items():
            self.vocab[content] = i
        self.id_to_token: Dict[int, str] = {i: t for t, i in self.vocab.items()}
        # Longest first, so that at one position the longest special token wins.
        self._special_list = sorted(self.specials, key=len, reverse=True)
        bos = None
        post = tokenizer_json.get("post_processor") or {}
        for piece in post.get("single", []):
            if "SpecialToken" in piece:
                bos = piece["SpecialToken"]["id"]
                break
        self.bos_id = self.vocab[bos] if bos is not None else None
        self.pad_id = self.specials.get("<pad>")
        self.eos_id = self.specials.get("</s>")
        self.image_id = self.specials.get("<image>")
        self.prm_id = self.specials.get(PRM_TOKEN)
        self.yes_id = self.specials.get(PRM_YES)
        self.no_id = self.specials.get(PRM_NO)

    @classmethod
    def from_file(cls, path: str) -> "CharTokenizer":
        with open(path, encoding="utf-8") as f:
            return cls(json.load(f))

    def encode(self, text: str, add_bos: bool = True) -> List[int]:
        ids: List[int] = [self.bos_id] if add_bos and self.bos_id is not None else []
        i = 0
        n = len(text)
        first_chars = {s[0] for s in self._special_list}
        while i < n:
            ch = text[i]
            if ch in first_chars:
                hit = next((s for s in self._special_list if text.startswith(s, i)), None)
                if hit is not None:
                    ids.append(self.specials[hit])
                    i += len(hit)
                    continue
            tid = self.vocab.get(ch)
            if tid is not None:
                ids.append(tid)
            i += 1
        return ids

    def decode(self, ids: Sequence[int], skip_special: bool = False) -> str:
        out = []
        for i in ids:
            tok = self.id_to_token.get(int(i))
            if tok is None or (skip_special and tok in self.specials):
                continue
            out.append(tok)
        return "".join(out)

    @property
    def vocab_size(self) -> int:
        return max(self.id_to_token) + 1

    def encode_prompt(self, prompt: str, image_tokens: int) -> List[int]:
        """BOS + prompt, each image token expanded to the `image_tokens` positions its features fill."""
        ids: List[int] = []
        for i in self.encode(prompt, add_bos=True):
            ids.extend([i] * image_tokens if i == self.image_id else [i])
        return ids

    def encode_prm(self, question: str, steps: Sequence[str], has_image: bool, image_tokens: int,
                   template: Optional[Dict[str, str]] = None) -> Tuple[List[int], List[int]]:
        """(ids, tag positions) of a PRM input: format_prm_input encoded like a prompt (BOS, the image
        token expanded). The positions are those of the <prm> tokens, one per step in a well-formed
        input; the caller checks the count (a step that contains "<prm>" itself adds one)."""
        ids = self.encode_prompt(format_prm_input(question, steps, has_image, template), image_tokens)
        return ids, [i for i, t in enumerate(ids) if t == self.prm_id]

    def encode_example(self, prompt: str, solution: str, image_tokens: int) -> Tuple[List[int], int]:
        """(ids, prompt length): BOS + prompt + solution + EOS; the loss covers ids[prompt length:]."""
        p = self.encode_prompt(prompt, image_tokens)
        return p + self.encode(solution, add_bos=False) + [self.eos_id], len(p)


PRM_ROW_HELP = 'prm rows are TRL stepwise supervision: {"prompt": ..., "completions": [...], "labels": [...], "images": [...]}'


def jsonl_rows(lines: Iterable[str], name: str, error: Type[Exception] = ValueError) -> Iterator[Tuple[int, str, object]]:
    """(line number, "NAME line N", parsed value) for each non-blank line of a JSONL file; a line that is
    not JSON raises `error` with "NAME line N: not JSON (...)"."""
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{name} line {n}"
        try:
            yield n, where, json.loads(line)
        except json.JSONDecodeError as e:
            raise error(f"{where}: not JSON ({e.msg})")


def parse_prm_row(row, where: str, base: str, need_labels: bool = True) -> Tuple[str, List[str], Optional[List[float]], str]:
    """Checks one TRL stepwise row (the trainer's prm rows, prm_score.py's input); a ValueError names the
    line and field. Returns (prompt, steps, labels as floats or None when not needed, image reference or
    "" without one; a relative path is joined to `base`, the JSONL file's folder)."""
    if not isinstance(row, dict):
        raise ValueError(f"{where}: expected a JSON object; {PRM_ROW_HELP}")
    if "prompt" not in row and "messages" in row:
        raise ValueError(f'{where}: field "prompt" is missing (the row has "messages", as sft rows do); {PRM_ROW_HELP}')
    prompt, steps, labels = row.get("prompt"), row.get("completions"), row.get("labels")
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError(f'{where}: field "prompt": must be a non-empty string (the question); {PRM_ROW_HELP}')
    for token in (PRM_TOKEN, IMAGE_TOKEN):
        if token in prompt:
            raise ValueError(f'{where}: field "prompt": must not contain {token}' + (' (the picture goes in "images")' if token == IMAGE_TOKEN else ""))
    if not isinstance(steps, list) or not steps or not all(isinstance(s, str) for s in steps):
        raise ValueError(f'{where}: field "completions": must be a non-empty list of step strings; {PRM_ROW_HELP}')
    for i, s in enumerate(steps, start=1):
        if not s.strip():
            raise ValueError(f'{where}: field "completions": step {i} is empty')
        for token in (PRM_TOKEN, IMAGE_TOKEN):
            if token in s:
                raise ValueError(f'{where}: field "completions": step {i} contains {token}')
    values: Optional[List[float]] = None
    if need_labels:
        if not isinstance(labels, list) or len(labels) != len(steps):
            got = f"{len(labels)} labels" if isinstance(labels, list) else json.dumps(labels)[:40]
            raise ValueError(f'{where}: field "labels": expected a list of {len(steps)} numbers in [0, 1] (one per step in "completions"), got {got}')
        values = []
        for i, v in enumerate(labels, start=1):
            if isinstance(v, bool):
                v = 1.0 if v else 0.0
            if not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0 or v > 1:
                raise ValueError(f'{where}: field "labels": label {i} is {json.dumps(v)}, not a number in [0, 1]')
            values.append(float(v))
    images = row.get("images")
    images = [] if images is None else images
    if not isinstance(images, list) or not all(isinstance(x, str) and x for x in images) or len(images) > 1:
        raise ValueError(f'{where}: field "images": expected a list of at most one path')
    ref = ""
    if images:
        ref = images[0] if images[0].startswith("data:") or os.path.isabs(images[0]) else os.path.join(base, images[0])
    return prompt, list(steps), values, ref


# ---------------------------------------------------------------------------------------------
# Pictures


class ImageDecodeError(ValueError):
    """An image the app could not read either (the message names it by its 1-based index)."""


def decode_images(refs: Sequence[str], size: int) -> np.ndarray:
    """Grey-scale size x size uint8 pixels [N, size, size] of each image (a path or a data: URL),
    prepared by demo_tool.ts with sharp exactly as the app prepares them."""
    with tempfile.TemporaryDirectory(prefix="steplab-images-") as tmp:
        lst = os.path.join(tmp, "images.json")
        out = os.path.join(tmp, "pixels.u8")
        with open(lst, "w", encoding="utf-8") as f:
            json.dump(list(refs), f)
        res = subprocess.run(
            ["node", "bin/run-ts.js", "models/recipes/demo_tool.ts", "decode", "--in", lst, "--out", out, "--size", str(size)],
            cwd=REPO_ROOT, capture_output=True, text=True,
        )
        if res.returncode != 0:
            msg = res.stderr.strip().splitlines()
            raise ImageDecodeError(msg[0].replace("demo_tool: ", "") if msg else "image decoding failed")
        return np.fromfile(out, dtype=np.uint8).reshape(len(refs), size, size)


# ---------------------------------------------------------------------------------------------
# Self-check


def check_tokenizer(tokenizer_path: str, fixture_path: str) -> int:
    tok = CharTokenizer.from_file(tokenizer_path)
    with open(fixture_path, encoding="utf-8") as f:
        fixture = json.load(f)
    bad = 0
    for case in fixture["cases"]:
        ids = tok.encode(case["text"], add_bos=fixture.get("addsBos", True))
        if ids != case["ids"]:
            bad += 1
            if bad <= 5:
                print(f"MISMATCH {case['text']!r}\n  python {ids}\n  js     {case['ids']}", file=sys.stderr)
    n = len(fixture["cases"])
    print(json.dumps({"tokenizer_parity": {"cases": n, "mismatches": bad}}))
    return 0 if bad == 0 else 1
