"""The demo family's model in plain PyTorch, the tokenizer that reads its tokenizer.json, a KV-cache
generator, and the checkpoint format the recipes share.

* LlamaForCausalLM: a Llama-style decoder (RMSNorm, RoPE in the rotate_half form, SwiGLU,
  grouped-query attention via repeat_kv, tied embeddings) whose state_dict keys are Hugging Face
  LlamaForCausalLM's (`model.embed_tokens.weight`, `model.layers.N.self_attn.q_proj.weight`, ...,
  `model.norm.weight`, `lm_head.weight`). forward() takes input_ids or inputs_embeds, an
  attention mask over past + new positions, position ids and a flat past
  (k0, v0, k1, v1, ...), and returns logits and the flat present. No Python branch depends on a
  tensor shape, so the same code traces to an ONNX graph that runs at past length 0 and > 0.
* VisionEncoder: a small CNN over a normalised 48x48 picture that yields `tokens` embeddings of
  the decoder's hidden size; its trunk is pretrained as a 9-way count classifier (`CountCNN`).
* CharTokenizer: special tokens matched first, then one token per character, characters outside
  the vocabulary dropped; checked against @huggingface/tokenizers by `--check-tokenizer`.
* The PRM input layout (MM-PRM's, `format_prm_input`, the manifest's "prmTemplate") and its
  Yes/No read-out at the <prm> tags (`CharTokenizer.encode_prm`, `prm_log_probs`).

Run `python3 steplab_model.py --check-tokenizer tokenizer.json fixture.json` to compare the Python
tokenizer with the fixture that make_tokenizer.ts writes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Type

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CHECKPOINT_FILE = "checkpoint.pt"
# the repository root: the recipes call node scripts from there
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECKPOINT_FORMAT = "steplab-demo-checkpoint"
CHECKPOINT_VERSION = 1

# Additive mask value for disallowed keys: finite, so a fully padded query row gives a uniform
# softmax instead of NaN (which would otherwise poison the KV cache of a left-padded batch).
MASK_VALUE = -1e9


# ---------------------------------------------------------------------------------------------
# Prompt format: the same strings as src-main/core/demo/format.ts (check_export.ts compares the
# manifest, which is written from these, with that file).

SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<image>", "<prm>", "Yes", "No"]
PAD_TOKEN, BOS_TOKEN, EOS_TOKEN, IMAGE_TOKEN, PRM_TOKEN, PRM_YES, PRM_NO = SPECIAL_TOKENS
STEP_DELIMITER = "\n"
PROMPT_TEMPLATE = {
    "question": "Q: {question}\n",
    "image": IMAGE_TOKEN + "\n",
    "reflection": "R: {reflection}\n",
    "solution": "S:\n",
}


def one_line(text: str) -> str:
    return " ".join(text.split())


def format_prompt(question: str, has_image: bool, reflection: Optional[str] = None) -> str:
    out = PROMPT_TEMPLATE["question"].replace("{question}", one_line(question))
    if has_image:
        out += PROMPT_TEMPLATE["image"]
    if reflection is not None and one_line(reflection) != "":
        out += PROMPT_TEMPLATE["reflection"].replace("{reflection}", one_line(reflection))
    return out + PROMPT_TEMPLATE["solution"]


# The PRM's input (MM-PRM's layout): the question, then every step followed by the <prm> tag. The
# score of step i is softmax([logit Yes, logit No])[0] at the i-th tag's position. The manifest of a
# PRM carries this as "prmTemplate"; src-main builds the same string.
PRM_TEMPLATE = {
    "image": IMAGE_TOKEN + "\n",
    "question": "Question: {question}\n",
    "process": "Process: ",
    "stepSeparator": "\n\n",
}


def format_prm_input(question: str, steps: Sequence[str], has_image: bool, template: Optional[Dict[str, str]] = None) -> str:
    """`<image>\\n` (with an image) + `Question: {question}\\n` + `Process: ` + the steps, each
    stripped and followed by <prm>, joined by a blank line. The question is used as given."""
    t = template or PRM_TEMPLATE
    head = (t["image"] if has_image else "") + t["question"].replace("{question}", question)
    return head + t["process"] + t["stepSeparator"].join(s.strip() + PRM_TOKEN for s in steps)


# The ORM's input (MathSE's outcome reward model): the policy prompt with the steps written out, then
# the verdict marker, after which the model writes a JSON verdict and </s>. The manifest of an ORM
# carries {"verdict": ..., "kind": "diagnostic" | "binary"} as "ormTemplate"; src-main's renderOrmPrompt
# builds the same string (renderPrompt with the steps, then the marker).
ORM_VERDICT = "V:\n"
ORM_KINDS = ("diagnostic", "binary")
# Characters the JSON verdict needs that DEMO_VOCAB lacks; an ORM's tokenizer adds them (in this order).
ORM_EXTRA_CHARS = ("{", "}", '"', "_")
ORM_STATUSES = ("CORRECT", "WRONG")


def _render_question(question: str) -> str:
    """The question as src-main's renderPrompt writes it: newlines (with the spaces around them) become
    one space, then trimmed."""
    return re.sub(r"\s*\n\s*", " ", question).strip()


def format_orm_input(question: str, steps: Sequence[str], has_image: bool, verdict: str = ORM_VERDICT) -> str:
    """`Q: {question}\n` [`<image>\n`] `S:\n` + each step + `\n` + the verdict marker: byte for byte what
    renderOrmPrompt (src-main/core/inference/prompt.ts) gives for the demo template."""
    out = PROMPT_TEMPLATE["question"].replace("{question}", _render_question(question))
    if has_image:
        out += PROMPT_TEMPLATE["image"]
    out += PROMPT_TEMPLATE["solution"]
    return out + "".join(s + STEP_DELIMITER for s in steps) + verdict


def split_orm_input(text: str, verdict: str = ORM_VERDICT) -> Optional[Tuple[str, bool, List[str]]]:
    """Inverse of format_orm_input: (question, has image, steps), or None when `text` is not laid out so."""
    q_head = PROMPT_TEMPLATE["question"].split("{question}")[0]
    q_tail = PROMPT_TEMPLATE["question"].split("{question}")[1]
    if not text.startswith(q_head) or not text.endswith(verdict):
        return None
    body = text[len(q_head):len(text) - len(verdict)]
    end = body.find(q_tail)
    if end < 0:
        return None
    question, rest = body[:end], body[end + len(q_tail):]
    has_image = rest.startswith(PROMPT_TEMPLATE["image"])
    if has_image:
        rest = rest[len(PROMPT_TEMPLATE["image"]):]
    if not rest.startswith(PROMPT_TEMPLATE["solution"]):
        return None
    rest = rest[len(PROMPT_TEMPLATE["solution"]):]
    if rest and not rest.endswith(STEP_DELIMITER):
        return None
    return question, has_image, split_solution(rest)


def format_orm_target(status: str, error_step: Optional[int] = None, error_analysis: str = "", improvement_suggestion: str = "",
                      binary: bool = False, checks: Optional[Sequence[str]] = None) -> str:
    """The verdict as src-main/core/reward/orm.ts formatOrmTarget writes it (JSON.stringify's compact
    form, keys in this order); binary: the status alone. CORRECT has error_step 0. With `checks` (a
    checking ORM, see orm_checks) the marks come first, joined by `; ` into one string (no `[`/`]`,
    which the ORM tokenizer lacks), so the model writes its line checks before it judges;
    parseOrmOutput ignores the field."""
    if status not in ORM_STATUSES:
        raise ValueError(f"status must be CORRECT or WRONG, got {status!r}")
    if binary:
        return json.dumps({"status": status}, separators=(",", ":"), ensure_ascii=False)
    head = {"checks": ORM_CHECK_SEPARATOR.join(checks)} if checks is not None else {}
    return json.dumps({**head, "status": status, "error_step": error_step or 0, "error_analysis": error_analysis,
                       "improvement_suggestion": improvement_suggestion}, separators=(",", ":"), ensure_ascii=False)


ORM_CHECK_SEPARATOR = "; "
_ARITH_LINE = re.compile(r"^\s*(\d+)\s*([-+*/])\s*(\d+)\s*=\s*(\d+)\s*$")
_COUNT_LINE = re.compile(r"^\s*count\s*=\s*(\d+)\s*$")
_ANSWER_LINE = re.compile(r"^\s*Answer:\s*(\d+)\s*$")
_SLIP_REASON = re.compile(r"^(\d+) ([-+*/]) (\d+) is ([\d.]+), not (\d+)$")


def orm_check_ok(n: int, line: str) -> Optional[str]:
    """The check mark of a right line n (1-based): `3: 6 + 18 = 24` (the line recomputed from its written
    operands), `1: picture 4` (a count line), `6: answer 35`; None when the line is none of these forms.
    A mark without ` not ...` means the line is right (no ` ok`, to stay within the 512-token context)."""
    m = _ARITH_LINE.match(line)
    if m:
        return f"{n}: {m.group(1)} {m.group(2)} {m.group(3)} = {m.group(4)}"
    m = _COUNT_LINE.match(line)
    if m:
        return f"{n}: picture {m.group(1)}"
    m = _ANSWER_LINE.match(line)
    if m:
        return f"{n}: answer {m.group(1)}"
    return None


def orm_check_wrong(n: int, reason: str) -> str:
    """The check mark of the first wrong line n from the checker's reason (`step n: ...`, check.ts):
    `6 + 18 is 24, not 25` -> `3: 6 + 18 = 24 not 25` (recomputed from the written operands);
    `should start from 30, not 31` -> `5: from 30 not 31`; `the picture shows 4, not 3` -> `1: picture 4 not 3`;
    `answer is 35, not 36` -> `6: answer 35 not 36`; `should add 3, not 4` -> `3: add 3 not 4`;
    `should be 2 * 5, not 2 * 6` -> `2: 2 * 5 not 2 * 6`; other reasons (too early, extra lines, a line of
    the wrong form) verbatim after `n: `."""
    r = re.sub(r"^step \d+:\s*", "", reason.strip())
    m = _SLIP_REASON.match(r)
    if m:
        return f"{n}: {m.group(1)} {m.group(2)} {m.group(3)} = {m.group(4)} not {m.group(5)}"
    for pat, rep in ((r"^should start from (\S+), not (\S+)$", r"from \1 not \2"),
                     (r"^the picture shows (\S+), not (\S+)$", r"picture \1 not \2"),
                     (r"^answer is (\S+), not (\S+)$", r"answer \1 not \2"),
                     (r"^should be ([^,]+), not (.+)$", r"\1 not \2"),
                     (r"^should ((?:add|subtract|multiply by|divide by) \S+), not (.+)$", r"\1 not \2")):
        if re.match(pat, r):
            return f"{n}: " + re.sub(pat, rep, r)
    return f"{n}: {r}"


def orm_checks(steps: Sequence[str], status: str, error_step: Optional[int] = None, error_analysis: str = "") -> Optional[List[str]]:
    """A checking ORM's check marks (format_orm_target joins them with `; `): one mark per line up to the first wrong one (all lines for CORRECT),
    each line recomputed or compared (orm_check_ok), the first wrong line marked from the checker's
    reason (orm_check_wrong), so status, error_step and error_analysis follow from the last mark. None
    when a line before the error has none of the checked forms."""
    last = len(steps) if status == "CORRECT" else int(error_step or 0) - 1
    out: List[str] = []
    for i in range(max(0, last)):
        c = orm_check_ok(i + 1, steps[i])
        if c is None:
            return None
        out.append(c)
    if status == "WRONG":
        out.append(orm_check_wrong(int(error_step), error_analysis))
    return out


def first_json_object(text: str) -> Optional[str]:
    """The first balanced {...} in text (strings and escapes respected), or None (orm.ts firstJsonObject)."""
    start = text.find("{")
    if start < 0:
        return None
    depth = 0
    in_string = False
    i = start
    while i < len(text):
        c = text[i]
        if in_string:
            if c == "\\":
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return text[start:i + 1]
        i += 1
    return None


def parse_orm_output(text: str, steps: int, binary: bool = False) -> Dict:
    """Python twin of orm.ts parseOrmOutput: {"ok": True, "status", "error_step" (None for CORRECT and a
    binary WRONG), "error_analysis", "improvement_suggestion"} or {"ok": False, "reason"}."""
    obj = first_json_object(text)
    if obj is None:
        return {"ok": False, "reason": "the JSON object is not closed" if "{" in text else "no JSON object in the output"}
    try:
        value = json.loads(obj)
    except json.JSONDecodeError as e:
        return {"ok": False, "reason": f"not valid JSON: {e.msg}"}
    if not isinstance(value, dict) or not isinstance(value.get("status"), str):
        return {"ok": False, "reason": "field status: not a string"}
    for k in ("error_analysis", "improvement_suggestion"):
        if k in value and not isinstance(value[k], str):
            return {"ok": False, "reason": f"field {k}: not a string"}
    es = value.get("error_step")
    if es is not None and (isinstance(es, bool) or not isinstance(es, (int, float, str))):
        return {"ok": False, "reason": "field error_step: not a number or string"}
    status = value["status"].strip().upper()
    if status not in ORM_STATUSES:
        return {"ok": False, "reason": f'status "{value["status"]}" is neither CORRECT nor WRONG'}
    analysis = (value.get("error_analysis") or "").strip()
    suggestion = (value.get("improvement_suggestion") or "").strip()
    out = {"ok": True, "status": status, "error_step": None, "error_analysis": analysis, "improvement_suggestion": suggestion}
    if status == "CORRECT" or (binary and es is None):
        return out
    if isinstance(es, (int, float)):
        step = es
    else:
        m = re.search(r"\d+", str(es or ""))
        if not m:
            return {"ok": False, "reason": "status WRONG without an error_step"}
        step = int(m.group(0))
    if step != int(step):
        return {"ok": False, "reason": f"error_step {step} is not a step number"}
    step = int(step)
    if step < 1 or step > steps:
        return {"ok": False, "reason": f"error_step {step} is outside the solution's steps 1..{steps}"}
    out["error_step"] = step
    return out


def extend_tokenizer_json(tokenizer_json: Dict, chars: Sequence[str]) -> Tuple[Dict, List[str]]:
    """A copy of a character-level tokenizer.json with `chars` that it lacks appended to the BPE vocab as
    new ids (after the highest id). Returns (new json, the characters added, in order)."""
    out = json.loads(json.dumps(tokenizer_json))
    vocab = out["model"]["vocab"]
    specials = {t["content"] for t in out.get("added_tokens", [])}
    next_id = max([*vocab.values(), *(t["id"] for t in out.get("added_tokens", []))]) + 1
    added = []
    for ch in chars:
        if len(ch) != 1 or ch in vocab or ch in specials:
            continue
        vocab[ch] = next_id
        next_id += 1
        added.append(ch)
    return out, added


def resize_token_embeddings(model: "LlamaForCausalLM", vocab_size: int) -> "LlamaForCausalLM":
    """A model with `vocab_size` rows in its (tied) embedding; rows beyond the old size start at the mean
    of the old rows, so the new tokens begin as an average character. Returns `model` when unchanged."""
    old = model.config.vocab_size
    if vocab_size == old:
        return model
    if vocab_size < old:
        raise ValueError(f"cannot shrink the vocabulary from {old} to {vocab_size}")
    cfg = DecoderConfig(**{**asdict(model.config), "vocab_size": vocab_size})
    new = LlamaForCausalLM(cfg)
    state = model.state_dict()
    emb = state["model.embed_tokens.weight"]
    grown = torch.cat([emb, emb.mean(0, keepdim=True).repeat(vocab_size - old, 1)])
    state = {k: v for k, v in state.items() if k not in ("model.embed_tokens.weight", "lm_head.weight")}
    state["model.embed_tokens.weight"] = grown
    if not cfg.tie_word_embeddings:
        head = model.lm_head.weight.detach()
        state["lm_head.weight"] = torch.cat([head, head.mean(0, keepdim=True).repeat(vocab_size - old, 1)])
    else:
        state["lm_head.weight"] = grown
    new.load_state_dict(state)
    return new


def format_solution(steps: Sequence[str]) -> str:
    return "".join(s + STEP_DELIMITER for s in steps)


def split_solution(text: str) -> List[str]:
    lines = text.split(STEP_DELIMITER)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


# ---------------------------------------------------------------------------------------------
# Configuration


@dataclass
class DecoderConfig:
    vocab_size: int = 85
    hidden_size: int = 96
    intermediate_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    head_dim: int = 24
    max_position_embeddings: int = 512
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    tie_word_embeddings: bool = True
    initializer_range: float = 0.02
    pad_token_id: int = 0
    bos_token_id: int = 1
    eos_token_id: int = 2

    def hf_config(self) -> Dict:
        """config.json in the form transformers / transformers.js read for model_type llama."""
        return {
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "vocab_size": self.vocab_size,
            "hidden_size": self.hidden_size,
            "intermediate_size": self.intermediate_size,
            "num_hidden_layers": self.num_hidden_layers,
            "num_attention_heads": self.num_attention_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "head_dim": self.head_dim,
            "hidden_act": "silu",
            "max_position_embeddings": self.max_position_embeddings,
            "rms_norm_eps": self.rms_norm_eps,
            "rope_theta": self.rope_theta,
            "rope_scaling": None,
            "attention_bias": False,
            "mlp_bias": False,
            "tie_word_embeddings": self.tie_word_embeddings,
            "initializer_range": self.initializer_range,
            "pad_token_id": self.pad_token_id,
            "bos_token_id": self.bos_token_id,
            "eos_token_id": self.eos_token_id,
            "use_cache": True,
            "torch_dtype": "float32",
        }


@dataclass
class VisionConfig:
    channels: int = 1
    image_size: int = 48
    conv_channels: Tuple[int, ...] = (8, 16, 32, 32)
    feature_size: int = 128
    num_classes: int = 9
    tokens: int = 4
    hidden_size: int = 96
    # Normalisation applied before the encoder: (x / 255 - mean) / std, per channel; the mean and
    # standard deviation of the demo pictures' grey levels (measured on 5,000: 0.860, 0.177).
    mean: List[float] = field(default_factory=lambda: [0.86])
    std: List[float] = field(default_factory=lambda: [0.18])


# ---------------------------------------------------------------------------------------------
# Decoder


class LlamaRMSNorm(nn.Module):
    def __init__(self, size: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        var = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def repeat_kv(x: torch.Tensor, n_rep: int) -> torch.Tensor:
    """[B, Hkv, S, D] -> [B, Hkv * n_rep, S, D], as Hugging Face's repeat_kv (expand, then reshape)."""
    if n_rep == 1:
        return x
    b, h, s, d = x.shape
    return x[:, :, None, :, :].expand(b, h, n_rep, s, d).reshape(b, h * n_rep, s, d)


class LlamaRotaryEmbedding(nn.Module):
    def __init__(self, head_dim: int, theta: float):
        super().__init__()
        inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, position_ids: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        freqs = position_ids.to(torch.float32)[:, :, None] * self.inv_freq[None, None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()


class LlamaAttention(nn.Module):
    def __init__(self, cfg: DecoderConfig):
        super().__init__()
        self.n_heads = cfg.num_attention_heads
        self.n_kv = cfg.num_key_value_heads
        self.head_dim = cfg.head_dim
        self.q_proj = nn.Linear(cfg.hidden_size, self.n_heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(cfg.hidden_size, self.n_kv * self.head_dim, bias=False)
        self.v_proj = nn.Linear(cfg.hidden_size, self.n_kv * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.n_heads * self.head_dim, cfg.hidden_size, bias=False)

    def forward(self, x, cos, sin, mask_add, past_k, past_v):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.n_heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.n_kv, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.n_kv, self.head_dim).transpose(1, 2)
        cos = cos[:, None, :, :]
        sin = sin[:, None, :, :]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past_k is not None:
            k = torch.cat((past_k, k), dim=2)
            v = torch.cat((past_v, v), dim=2)
        present = (k, v)
        rep = self.n_heads // self.n_kv
        kk = repeat_kv(k, rep)
        vv = repeat_kv(v, rep)
        scores = torch.matmul(q, kk.transpose(2, 3)) / math.sqrt(self.head_dim) + mask_add
        probs = torch.softmax(scores, dim=-1)
        out = torch.matmul(probs, vv).transpose(1, 2).reshape(b, t, self.n_heads * self.head_dim)
        return self.o_proj(out), present


class LlamaMLP(nn.Module):
    def __init__(self, cfg: DecoderConfig):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, cfg: DecoderConfig):
        super().__init__()
        self.self_attn = LlamaAttention(cfg)
        self.mlp = LlamaMLP(cfg)
        self.input_layernorm = LlamaRMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.post_attention_layernorm = LlamaRMSNorm(cfg.hidden_size, cfg.rms_norm_eps)

    def forward(self, x, cos, sin, mask_add, past_k, past_v):
        h, present = self.self_attn(self.input_layernorm(x), cos, sin, mask_add, past_k, past_v)
        x = x + h
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x, present


class LlamaModel(nn.Module):
    def __init__(self, cfg: DecoderConfig):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList([LlamaDecoderLayer(cfg) for _ in range(cfg.num_hidden_layers)])
        self.norm = LlamaRMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.rotary_emb = LlamaRotaryEmbedding(cfg.head_dim, cfg.rope_theta)


def additive_mask(attention_mask: torch.Tensor, new_len) -> torch.Tensor:
    """[B, S] 0/1 mask over past + new keys -> [B, 1, T, S] additive mask, causal over the last T.

    Built from aranges, not from Python conditions on shapes, so that tracing keeps it dynamic.
    """
    total = attention_mask.shape[1]
    past = total - new_len
    q_pos = torch.arange(new_len, device=attention_mask.device)[:, None] + past
    k_pos = torch.arange(total, device=attention_mask.device)[None, :]
    allowed = (k_pos <= q_pos)[None, None, :, :] & (attention_mask[:, None, None, :] > 0)
    return (~allowed).to(torch.float32) * MASK_VALUE


class LlamaForCausalLM(nn.Module):
    def __init__(self, cfg: DecoderConfig):
        super().__init__()
        self.config = cfg
        self.model = LlamaModel(cfg)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        self.apply(self._init_weights)
        if cfg.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight

    def _init_weights(self, m: nn.Module) -> None:
        std = self.config.initializer_range
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, mean=0.0, std=std)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, mean=0.0, std=std)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in {id(p): p for p in self.parameters()}.values())

    def embed(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.model.embed_tokens(input_ids)

    def forward(
        self,
        input_ids: Optional[torch.Tensor] = None,
        attention_mask: Optional[torch.Tensor] = None,
        position_ids: Optional[torch.Tensor] = None,
        past_key_values: Optional[Sequence[torch.Tensor]] = None,
        inputs_embeds: Optional[torch.Tensor] = None,
    ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """Returns (logits [B, T, V], present as a flat list k0, v0, k1, v1, ...)."""
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("pass exactly one of input_ids and inputs_embeds")
        x = self.model.embed_tokens(input_ids) if inputs_embeds is None else inputs_embeds
        b, t = x.shape[0], x.shape[1]
        past_len = 0 if past_key_values is None else past_key_values[0].shape[2]
        if attention_mask is None:
            attention_mask = torch.ones(b, past_len + t, dtype=torch.long, device=x.device)
        if position_ids is None:
            position_ids = positions_from_mask(attention_mask)[:, -t:]
        cos, sin = self.model.rotary_emb(position_ids)
        mask_add = additive_mask(attention_mask, t)
        present: List[torch.Tensor] = []
        for i, layer in enumerate(self.model.layers):
            pk = past_key_values[2 * i] if past_key_values is not None else None
            pv = past_key_values[2 * i + 1] if past_key_values is not None else None
            x, (k, v) = layer(x, cos, sin, mask_add, pk, pv)
            present.extend((k, v))
        logits = self.lm_head(self.model.norm(x))
        return logits, present


def positions_from_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """Position ids of a left-padded batch as transformers computes them: cumsum - 1, pads at 1."""
    pos = attention_mask.long().cumsum(-1) - 1
    return pos.masked_fill(attention_mask == 0, 1)


# ---------------------------------------------------------------------------------------------
# Vision


class CountCNN(nn.Module):
    """Conv trunk with a 3x3 spatial read-out (the pictures put one object per cell of a 3x3 grid)
    and a 9-way count head used only in pretraining."""

    def __init__(self, cfg: VisionConfig):
        super().__init__()
        chans = (cfg.channels,) + tuple(cfg.conv_channels)
        layers: List[nn.Module] = []
        for i in range(len(cfg.conv_channels)):
            layers.append(nn.Conv2d(chans[i], chans[i + 1], kernel_size=3, padding=1))
            layers.append(nn.ReLU())
            layers.append(nn.MaxPool2d(2) if i < len(cfg.conv_channels) - 1 else nn.AvgPool2d(2))
        self.convs = nn.Sequential(*layers)
        side = cfg.image_size // (2 ** len(cfg.conv_channels))
        self.fc = nn.Linear(cfg.conv_channels[-1] * side * side, cfg.feature_size)
        self.head = nn.Linear(cfg.feature_size, cfg.num_classes)

    def features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        h = self.convs(pixel_values)
        return F.relu(self.fc(h.flatten(1)))

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(pixel_values))


class VisionEncoder(nn.Module):
    """pixel_values [B, C, H, W] (normalised) -> image_features [B, tokens, hidden]."""

    def __init__(self, cfg: VisionConfig):
        super().__init__()
        self.config = cfg
        self.backbone = CountCNN(cfg)
        self.proj = nn.Linear(cfg.feature_size, cfg.tokens * cfg.hidden_size)
        nn.init.normal_(self.proj.weight, std=0.02)
        nn.init.zeros_(self.proj.bias)

    def project(self, features: torch.Tensor) -> torch.Tensor:
        return self.proj(features).view(features.shape[0], self.config.tokens, self.config.hidden_size)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.project(self.backbone.features(pixel_values))

    def normalise(self, pixels_u8: torch.Tensor) -> torch.Tensor:
        """uint8 [B, H, W] or [B, C, H, W] -> normalised float [B, C, H, W]."""
        x = pixels_u8.to(torch.float32) / 255.0
        if x.dim() == 3:
            x = x[:, None, :, :]
        mean = torch.tensor(self.config.mean, dtype=torch.float32).view(1, -1, 1, 1)
        std = torch.tensor(self.config.std, dtype=torch.float32).view(1, -1, 1, 1)
        return (x - mean) / std


def merge_image_features(embeds: torch.Tensor, input_ids: torch.Tensor, image_token_id: int, features: torch.Tensor) -> torch.Tensor:
    """Puts image features, in order, at the positions of the image token: one image per row that has
    `tokens` image-token positions; `features` is [images, tokens, hidden] for those rows in order."""
    where = input_ids == image_token_id
    n = int(where.sum())
    if n == 0:
        return embeds
    flat = features.reshape(-1, features.shape[-1])
    if flat.shape[0] != n:
        raise ValueError(f"{n} image-token positions but {flat.shape[0]} image feature vectors")
    out = embeds.clone()
    out[where] = flat.to(out.dtype)
    return out


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


def prm_log_probs(logits: torch.Tensor, yes_id: int, no_id: int) -> torch.Tensor:
    """[..., V] logits at tag positions -> [..., 2] log_softmax over (Yes, No); exp of [..., 0] is the
    step score."""
    return torch.log_softmax(torch.stack((logits[..., yes_id], logits[..., no_id]), dim=-1), dim=-1)


# ---------------------------------------------------------------------------------------------
# Generation


@torch.no_grad()
def generate(
    model: LlamaForCausalLM,
    prompts: Sequence[Sequence[int]],
    max_new_tokens: int,
    eos_id: int,
    pad_id: int,
    temperature: float = 0.0,
    generator: Optional[torch.Generator] = None,
    image_token_id: Optional[int] = None,
    image_features: Optional[torch.Tensor] = None,
) -> List[List[int]]:
    """Left-padded batched decoding with the KV cache. temperature 0 is greedy. Returns the new
    tokens of each row, cut after its first EOS (the EOS is kept). `image_features`
    [images, tokens, hidden] fill the image-token positions of the prompts, rows in order."""
    b = len(prompts)
    width = max(len(p) for p in prompts)
    ids = torch.full((b, width), pad_id, dtype=torch.long)
    mask = torch.zeros((b, width), dtype=torch.long)
    for r, p in enumerate(prompts):
        ids[r, width - len(p):] = torch.tensor(p, dtype=torch.long)
        mask[r, width - len(p):] = 1
    pos = positions_from_mask(mask)
    embeds = model.embed(ids)
    if image_features is not None and image_token_id is not None:
        embeds = merge_image_features(embeds, ids, image_token_id, image_features)
    logits, past = model(inputs_embeds=embeds, attention_mask=mask, position_ids=pos)
    out: List[List[int]] = [[] for _ in range(b)]
    done = torch.zeros(b, dtype=torch.bool)
    next_pos = pos[:, -1:] + 1
    for _ in range(max_new_tokens):
        last = logits[:, -1, :]
        if temperature > 0:
            probs = torch.softmax(last / temperature, dim=-1)
            tok = torch.multinomial(probs, 1, generator=generator).squeeze(1)
        else:
            tok = last.argmax(-1)
        for r in range(b):
            if not done[r]:
                out[r].append(int(tok[r]))
                if int(tok[r]) == eos_id:
                    done[r] = True
        if bool(done.all()):
            break
        mask = torch.cat((mask, torch.ones((b, 1), dtype=torch.long)), dim=1)
        logits, past = model(input_ids=tok[:, None], attention_mask=mask, position_ids=next_pos, past_key_values=past)
        next_pos = next_pos + 1
    return out


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
# Checkpoints


def save_checkpoint(path: str, decoder: LlamaForCausalLM, vision: Optional[VisionEncoder], extra: Optional[Dict] = None) -> None:
    state = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "decoder_config": asdict(decoder.config),
        "decoder": {k: v.detach().clone() for k, v in decoder.state_dict().items()},
        "vision_config": asdict(vision.config) if vision is not None else None,
        "vision": {k: v.detach().clone() for k, v in vision.state_dict().items()} if vision is not None else None,
        "extra": extra or {},
    }
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str) -> Tuple[LlamaForCausalLM, Optional[VisionEncoder], Dict]:
    state = torch.load(path, map_location="cpu")
    if state.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: not a {CHECKPOINT_FORMAT} file")
    if state.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"{path}: checkpoint version {state.get('version')}, this code reads {CHECKPOINT_VERSION}")
    dcfg = DecoderConfig(**state["decoder_config"])
    decoder = LlamaForCausalLM(dcfg)
    decoder.load_state_dict(state["decoder"])
    vision = None
    if state.get("vision_config") is not None:
        vc = dict(state["vision_config"])
        vc["conv_channels"] = tuple(vc["conv_channels"])
        vision = VisionEncoder(VisionConfig(**vc))
        vision.load_state_dict(state["vision"])
    return decoder, vision, state.get("extra", {})


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


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check-tokenizer", nargs=2, metavar=("TOKENIZER_JSON", "FIXTURE_JSON"))
    ap.add_argument("--summary", action="store_true", help="print the default architecture and parameter counts")
    args = ap.parse_args(argv)
    if args.check_tokenizer:
        return check_tokenizer(*args.check_tokenizer)
    if args.summary:
        dec = LlamaForCausalLM(DecoderConfig())
        vis = VisionEncoder(VisionConfig())
        print(json.dumps({"decoder_parameters": dec.num_parameters(), "vision_parameters": sum(p.numel() for p in vis.parameters())}))
        return 0
    ap.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
