"""Exports a steplab_model checkpoint to an onnx-community style model folder:

    <out>/config.json, generation_config.json, tokenizer.json, tokenizer_config.json,
          special_tokens_map.json, manifest.json, checkpoint.pt (PyTorch, for fine-tuning)
    <out>/onnx/model.onnx                 input_ids, attention_mask, position_ids, past_key_values.N.key|value
                                          -> logits, present.N.key|value
    <out>/onnx/decoder_model_merged.onnx  the same with inputs_embeds instead of input_ids
    <out>/onnx/embed_tokens.onnx          input_ids -> inputs_embeds
    <out>/onnx/vision_encoder.onnx        pixel_values [B, C, H, W] -> image_features [B, tokens, hidden]

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/recipes/export_onnx.py --checkpoint <work>/checkpoint.pt \
        --tokenizer <tokenizer dir> --out models/tiny-policy [--name tiny-policy] [--check]

--check writes a parity fixture (PyTorch logits and greedy tokens) and runs check_export.ts, which
compares onnxruntime-node on all four graphs (past length 0 and > 0, left padding, batch > 1,
image prompts), runs transformers.js generate() on the folder offline, and validates manifest.json
against src-shared/manifest.ts; the results go into manifest.json provenance.metrics.export_check.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from typing import Dict, List, Optional

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from steplab_model import (  # noqa: E402
    REPO_ROOT,
    BOS_TOKEN,
    EOS_TOKEN,
    IMAGE_TOKEN,
    PAD_TOKEN,
    PROMPT_TEMPLATE,
    PRM_NO,
    PRM_TEMPLATE,
    PRM_TOKEN,
    PRM_YES,
    ORM_VERDICT,
    STEP_DELIMITER,
    CharTokenizer,
    LlamaForCausalLM,
    VisionEncoder,
    format_prompt,
    generate,
    load_checkpoint,
    merge_image_features,
    positions_from_mask,
    save_checkpoint,
    CHECKPOINT_FILE,
)

OPSET = 14
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
SAMPLING = {"temperature": 0.8, "topK": 0, "topP": 1, "maxNewTokens": 128}


class _DecoderIds(nn.Module):
    def __init__(self, model: LlamaForCausalLM):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids, *past):
        logits, present = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids, past_key_values=list(past))
        return (logits, *present)


class _DecoderEmbeds(nn.Module):
    def __init__(self, model: LlamaForCausalLM):
        super().__init__()
        self.model = model

    def forward(self, inputs_embeds, attention_mask, position_ids, *past):
        logits, present = self.model(inputs_embeds=inputs_embeds, attention_mask=attention_mask, position_ids=position_ids, past_key_values=list(past))
        return (logits, *present)


class _Embed(nn.Module):
    def __init__(self, model: LlamaForCausalLM):
        super().__init__()
        self.embed = model.model.embed_tokens

    def forward(self, input_ids):
        return self.embed(input_ids)


def _past_names(layers: int):
    ins, outs = [], []
    for i in range(layers):
        ins += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        outs += [f"present.{i}.key", f"present.{i}.value"]
    return ins, outs


def export_decoder(model: LlamaForCausalLM, path: str, embeds: bool) -> None:
    cfg = model.config
    b, t, p = 2, 5, 3
    past = []
    for _ in range(cfg.num_hidden_layers):
        past += [torch.zeros(b, cfg.num_key_value_heads, p, cfg.head_dim), torch.zeros(b, cfg.num_key_value_heads, p, cfg.head_dim)]
    mask = torch.ones(b, p + t, dtype=torch.long)
    pos = torch.arange(p, p + t)[None].repeat(b, 1)
    first_name = "inputs_embeds" if embeds else "input_ids"
    first = torch.randn(b, t, cfg.hidden_size) if embeds else torch.randint(7, cfg.vocab_size, (b, t))
    past_in, present_out = _past_names(cfg.num_hidden_layers)
    dyn = {
        first_name: {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for n in past_in:
        dyn[n] = {0: "batch_size", 2: "past_sequence_length"}
    for n in present_out:
        dyn[n] = {0: "batch_size", 2: "total_sequence_length"}
    wrap = (_DecoderEmbeds if embeds else _DecoderIds)(model).eval()
    with torch.no_grad():
        torch.onnx.export(
            wrap, (first, mask, pos, *past), path,
            input_names=[first_name, "attention_mask", "position_ids", *past_in],
            output_names=["logits", *present_out],
            dynamic_axes=dyn, opset_version=OPSET, do_constant_folding=True,
        )


def export_embed(model: LlamaForCausalLM, path: str) -> None:
    with torch.no_grad():
        torch.onnx.export(
            _Embed(model).eval(), (torch.randint(0, model.config.vocab_size, (2, 5)),), path,
            input_names=["input_ids"], output_names=["inputs_embeds"],
            dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"}, "inputs_embeds": {0: "batch_size", 1: "sequence_length"}},
            opset_version=OPSET, do_constant_folding=True,
        )


def export_vision(vision: VisionEncoder, path: str) -> None:
    c = vision.config
    with torch.no_grad():
        torch.onnx.export(
            vision.eval(), (torch.randn(2, c.channels, c.image_size, c.image_size),), path,
            input_names=["pixel_values"], output_names=["image_features"],
            dynamic_axes={"pixel_values": {0: "batch_size"}, "image_features": {0: "batch_size"}},
            opset_version=OPSET, do_constant_folding=True,
        )


def manifest_for(
    name: str, model: LlamaForCausalLM, vision: Optional[VisionEncoder], role: str, recipe: str,
    data_hash: Optional[str], parent: Optional[str], metrics: Dict, orm_template: Optional[Dict] = None,
) -> Dict:
    """manifest.json of an exported folder; a PRM's also carries "prmTemplate", the layout it scores, and
    an ORM's "ormTemplate" (`orm_template`, default {"verdict": "V:\\n", "kind": "diagnostic"})."""
    files = {"decoder": "onnx/model.onnx", "tokenizer": "tokenizer.json", "config": "config.json"}
    m = {
        "schemaVersion": 1,
        "name": name,
        "role": role,
        "family": "steplab-demo",
        "architecture": "llama",
        "files": files,
        "layout": "optimum-kv",
        "promptTemplate": dict(PROMPT_TEMPLATE),
        "stepDelimiter": STEP_DELIMITER,
        **({"prmTemplate": dict(PRM_TEMPLATE)} if role == "prm" else {}),
        **({"ormTemplate": dict(orm_template or {"verdict": ORM_VERDICT, "kind": "diagnostic"})} if role == "orm" else {}),
        "specialTokens": {"bos": BOS_TOKEN, "eos": EOS_TOKEN, "pad": PAD_TOKEN, "image": IMAGE_TOKEN, "prm": PRM_TOKEN, "yes": PRM_YES, "no": PRM_NO},
        "contextLength": model.config.max_position_embeddings,
        "parameters": dict(SAMPLING),
        "provenance": {"parent": parent, "cycle": None, "trainingDataHash": data_hash, "recipe": recipe, "metrics": metrics},
    }
    files["decoderEmbeds"] = "onnx/decoder_model_merged.onnx"
    files["embedTokens"] = "onnx/embed_tokens.onnx"
    if vision is not None:
        files["visionEncoder"] = "onnx/vision_encoder.onnx"
        c = vision.config
        m["image"] = {"tokens": c.tokens, "size": c.image_size, "channels": c.channels, "mean": list(c.mean), "std": list(c.std)}
    return m


def write_json(path: str, obj) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def export_folder(
    model: LlamaForCausalLM, vision: Optional[VisionEncoder], tokenizer_dir: str, out: str, *, name: str,
    role: str = "policy", recipe: str, data_hash: Optional[str], parent: Optional[str], metrics: Dict,
    checkpoint_extra: Optional[Dict] = None, orm_template: Optional[Dict] = None,
) -> Dict:
    """Writes the complete model folder into `out` (created; must not hold another model)."""
    model.eval()
    if vision is not None:
        vision.eval()
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    for f in TOKENIZER_FILES:
        shutil.copyfile(os.path.join(tokenizer_dir, f), os.path.join(out, f))
    cfg = model.config
    write_json(os.path.join(out, "config.json"), cfg.hf_config())
    write_json(os.path.join(out, "generation_config.json"), {
        "bos_token_id": cfg.bos_token_id, "eos_token_id": cfg.eos_token_id, "pad_token_id": cfg.pad_token_id,
    })
    export_decoder(model, os.path.join(out, "onnx", "model.onnx"), embeds=False)
    export_decoder(model, os.path.join(out, "onnx", "decoder_model_merged.onnx"), embeds=True)
    export_embed(model, os.path.join(out, "onnx", "embed_tokens.onnx"))
    if vision is not None:
        export_vision(vision, os.path.join(out, "onnx", "vision_encoder.onnx"))
    import onnx

    for f in sorted(os.listdir(os.path.join(out, "onnx"))):
        onnx.checker.check_model(onnx.load(os.path.join(out, "onnx", f)))
    save_checkpoint(os.path.join(out, CHECKPOINT_FILE), model, vision, checkpoint_extra)
    manifest = manifest_for(name, model, vision, role, recipe, data_hash, parent, metrics, orm_template)
    write_json(os.path.join(out, "manifest.json"), manifest)
    return manifest


# ---------------------------------------------------------------------------------------------
# Parity fixture for check_export.ts


def _tensor(x: torch.Tensor) -> Dict:
    return {"dims": list(x.shape), "data": [float(v) for v in x.reshape(-1).tolist()]}


def _ints(x: torch.Tensor) -> Dict:
    return {"dims": list(x.shape), "data": [int(v) for v in x.reshape(-1).tolist()]}


def left_pad(seqs: List[List[int]], pad_id: int):
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for r, s in enumerate(seqs):
        ids[r, width - len(s):] = torch.tensor(s)
        mask[r, width - len(s):] = 1
    return ids, mask


def parity_fixture(model: LlamaForCausalLM, vision: Optional[VisionEncoder], tok: CharTokenizer, path: str) -> None:
    """PyTorch reference outputs for check_export.ts: logits of chunked runs and greedy tokens."""
    texts = [
        "Tom has 7 apples. He buys 3 more. How many apples now?",
        "Mia starts with 4 cards. She buys 2 bags of 6. She loses 3. How many cards in the end?",
        "Ben owns 9 coins. He splits them into 3 equal groups and keeps one. Then he has twice as many. How many coins now?",
        "At first Zoe has 5 pens. A friend gives her 8 more. She triples her pens. She gives away 7. How many pens now?",
    ]
    prompts = [tok.encode_prompt(format_prompt(t, False), 1) for t in texts]
    cases = []
    with torch.no_grad():
        for name, rows, split in (
            ("past 0, batch 1", prompts[:1], 0),
            ("past > 0, single-token step", prompts[:1], len(prompts[0]) - 1),
            ("past 0, batch 3, left padding", prompts[:3], 0),
            ("past > 0, batch 3, left padding", prompts[:3], None),
        ):
            ids, mask = left_pad(rows, tok.pad_id)
            if split is None:
                split = ids.shape[1] - 4
            pos = positions_from_mask(mask)
            logits, _ = model(input_ids=ids, attention_mask=mask, position_ids=pos)
            cases.append({"name": name, "input_ids": _ints(ids), "attention_mask": _ints(mask), "position_ids": _ints(pos),
                          "split": split, "logits": _tensor(logits[:, split:])})
        greedy = [generate(model, [p], 128, tok.eos_id, tok.pad_id)[0] for p in prompts]
        fixture = {
            "pad_id": tok.pad_id, "eos_id": tok.eos_id, "image_id": tok.image_id,
            "cases": cases,
            "greedy": {"prompts": [format_prompt(t, False) for t in texts], "prompt_ids": prompts, "tokens": greedy, "max_new_tokens": 128},
        }
        if vision is not None:
            c = vision.config
            g = torch.Generator().manual_seed(3)
            # Two grey pictures with dark blobs: the parity check needs inputs in the encoder's range, not real counts.
            pix = torch.full((2, c.image_size, c.image_size), 235, dtype=torch.uint8)
            for r, n in enumerate((3, 7)):
                for k in range(n):
                    y, x = int(torch.randint(4, c.image_size - 8, (1,), generator=g)), int(torch.randint(4, c.image_size - 8, (1,), generator=g))
                    pix[r, y:y + 6, x:x + 6] = 60
            pv = vision.normalise(pix)
            feats = vision(pv)
            img_prompts = [
                tok.encode_prompt(format_prompt("The picture shows Tom's apples. He buys 3 more. How many apples now?", True), c.tokens),
                tok.encode_prompt(format_prompt("Lily's stickers are in the picture. She doubles them. She loses 2. How many stickers now?", True), c.tokens),
            ]
            ids, mask = left_pad(img_prompts, tok.pad_id)
            pos = positions_from_mask(mask)
            embeds = merge_image_features(model.embed(ids), ids, tok.image_id, feats)
            logits, _ = model(inputs_embeds=embeds, attention_mask=mask, position_ids=pos)
            img_greedy = [generate(model, [p], 128, tok.eos_id, tok.pad_id, image_token_id=tok.image_id, image_features=feats[i:i + 1])[0]
                          for i, p in enumerate(img_prompts)]
            fixture["image"] = {
                "pixel_values": _tensor(pv), "image_features": _tensor(feats),
                "input_ids": _ints(ids), "attention_mask": _ints(mask), "position_ids": _ints(pos),
                "logits": _tensor(logits), "greedy": img_greedy, "prompt_ids": img_prompts,
            }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(fixture, f)


def run_check(model_dir: str, fixture: str) -> Dict:
    out = subprocess.run(
        ["node", "bin/run-ts.js", "models/recipes/check_export.ts", "--model", os.path.abspath(model_dir), "--fixture", os.path.abspath(fixture)],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )
    sys.stderr.write(out.stderr)
    lines = [l for l in out.stdout.splitlines() if l.strip()]
    for l in lines[:-1]:
        print(l)
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"check_export.ts failed (exit {out.returncode})")
    return json.loads(lines[-1])


def folder_bytes(path: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--tokenizer", required=True, help="folder with tokenizer.json, tokenizer_config.json, special_tokens_map.json")
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="tiny-policy")
    ap.add_argument("--role", default="policy")
    ap.add_argument("--parent", default=None)
    ap.add_argument("--train-info", default=None, help="train_info.json of train_policy.py (metrics and data hash for the manifest)")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()

    model, vision, extra = load_checkpoint(args.checkpoint)
    info = extra.get("train_info", {})
    if args.train_info:
        with open(args.train_info, encoding="utf-8") as f:
            info = json.load(f)
    metrics = {"training": {k: info[k] for k in (
        "decoder_parameters", "vision_parameters", "steps", "batch", "tokens", "loss_tokens", "seconds", "tokens_per_second",
        "lr", "ema", "val_loss_ema", "val_loss_raw", "train_rows") if k in info}}
    if "vision" in info:
        metrics["vision_pretraining"] = info["vision"]
    t0 = time.time()
    # A re-export replaces the graphs; an old METRICS.md would describe other weights.
    if os.path.exists(os.path.join(args.out, "onnx")):
        shutil.rmtree(os.path.join(args.out, "onnx"))
    if os.path.exists(os.path.join(args.out, "METRICS.md")):
        os.remove(os.path.join(args.out, "METRICS.md"))
    manifest = export_folder(
        model, vision, args.tokenizer, args.out, name=args.name, role=args.role, recipe=info.get("recipe", "models/recipes/train_policy.py"),
        data_hash=info.get("training_data_hash"), parent=args.parent, metrics=metrics, checkpoint_extra=extra,
        orm_template=extra.get("orm_template"),
    )
    print(json.dumps({"exported": args.out, "seconds": round(time.time() - t0, 1), "bytes": folder_bytes(args.out)}))
    if args.check:
        tok = CharTokenizer.from_file(os.path.join(args.out, "tokenizer.json"))
        fixture = os.path.join(args.out, ".parity_fixture.json")
        try:
            parity_fixture(model, vision, tok, fixture)
            result = run_check(args.out, fixture)
        finally:
            if os.path.exists(fixture):
                os.remove(fixture)
        manifest["provenance"]["metrics"]["export_check"] = result
        write_json(os.path.join(args.out, "manifest.json"), manifest)
        print(json.dumps({"export_check": result}))
        if not result.get("ok"):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
