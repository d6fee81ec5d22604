"""The demo family's model in plain PyTorch (steplab_model.py's docstring): the Llama-style decoder (its
vision encoder is in steplab_vision.py), resizing the vocabulary, the PRM's Yes/No read-out, the KV-cache
generator, and the checkpoint format the recipes share."""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from steplab_vision import VisionConfig, VisionEncoder, merge_image_features

CHECKPOINT_FILE = "checkpoint.pt"
CHECKPOINT_FORMAT = "steplab-demo-checkpoint"
CHECKPOINT_VERSION = 1

# Additive mask value for disallowed keys: finite, so a fully padded query row gives a uniform
# softmax instead of NaN (which would otherwise poison the KV cache of a left-padded batch).
MASK_VALUE = -1e9


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
# Vocabulary growth and the PRM read-out


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
