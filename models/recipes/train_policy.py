"""Trains the demo policy from scratch: (a) the vision CNN as a 9-way count classifier on rendered
pictures, then (b) the Llama-style decoder on text and image problems with the pretrained CNN
trunk frozen and a trainable projection from its features to `image.tokens` embeddings.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/recipes/train_policy.py \
        --data <make_demo_data --image-format pixels --pixels N output> \
        --demo-data models/demo-data --tokenizer <make_tokenizer output> --work <dir>

Writes to --work: vision.pt (the pretrained CNN), checkpoint.pt (EMA weights of decoder and vision
encoder, the format of steplab_model.save_checkpoint), train_info.json (sizes, tokens, timings,
losses, data hash, vision accuracy) and prints a progress log.

Data rules: training rows come from --data's train split, minus every row whose canonical form
(the math without wording or modality) appears in the bundled demo val or test split, so the
held-out evaluation measures solving, not recall. The loss covers the solution tokens and </s>.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import time
from typing import Dict, List, Tuple

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from steplab_model import (  # noqa: E402
    REPO_ROOT,
    CharTokenizer,
    CountCNN,
    DecoderConfig,
    LlamaForCausalLM,
    VisionConfig,
    VisionEncoder,
    format_prompt,
    format_solution,
    merge_image_features,
    save_checkpoint,
)

IMAGE_SIZE = 48


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def read_jsonl(path: str) -> List[Dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def file_sha256(paths: List[str]) -> str:
    """sha256 over the files' bytes, in the order given."""
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return "sha256:" + h.hexdigest()


def load_u8(path: str, n: int) -> np.ndarray:
    data = np.fromfile(path, dtype=np.uint8)
    if data.size != n * IMAGE_SIZE * IMAGE_SIZE:
        raise ValueError(f"{path}: {data.size} bytes, expected {n} pictures of {IMAGE_SIZE}x{IMAGE_SIZE}")
    return data.reshape(n, IMAGE_SIZE, IMAGE_SIZE)


def demo_test_pixels(demo_data: str, work: str, split: str = "test") -> Tuple[np.ndarray, np.ndarray]:
    """The bundled split's pictures, decoded from their PNGs by demo_tool.ts (sharp), and their counts."""
    out = os.path.join(work, f"demo_{split}_pixels.u8")
    subprocess.run(
        ["node", "bin/run-ts.js", "models/recipes/demo_tool.ts", "pixels", "--data", os.path.abspath(demo_data), "--split", split, "--out", out],
        cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL,
    )
    with open(out + ".json", encoding="utf-8") as f:
        header = json.load(f)
    return load_u8(out, header["shape"][0]), np.array(header["counts"], dtype=np.int64)


# ---------------------------------------------------------------------------------------------
# (a) vision pretraining


def accuracy(cnn: CountCNN, vision: VisionEncoder, pixels: np.ndarray, counts: np.ndarray) -> float:
    cnn.eval()
    right = 0
    with torch.no_grad():
        for i in range(0, len(pixels), 1000):
            x = vision.normalise(torch.from_numpy(pixels[i:i + 1000]))
            pred = cnn(x).argmax(-1).numpy() + 1
            right += int((pred == counts[i:i + 1000]).sum())
    return right / max(1, len(pixels))


def pretrain_vision(args, vcfg: VisionConfig, work: str) -> Tuple[VisionEncoder, Dict]:
    with open(os.path.join(args.data, "pixels.json"), encoding="utf-8") as f:
        header = json.load(f)
    n = header["shape"][0]
    pixels = load_u8(os.path.join(args.data, "pixels.u8"), n)
    counts = np.fromfile(os.path.join(args.data, "pixel_counts.u8"), dtype=np.uint8).astype(np.int64)
    hold = args.vision_holdout
    tr_x, tr_y, te_x, te_y = pixels[:-hold], counts[:-hold], pixels[-hold:], counts[-hold:]
    demo_x, demo_y = demo_test_pixels(args.demo_data, work)

    torch.manual_seed(args.seed)
    vision = VisionEncoder(vcfg)
    cnn = vision.backbone
    opt = torch.optim.AdamW(cnn.parameters(), lr=args.vision_lr, weight_decay=1e-4)
    steps_per_epoch = len(tr_x) // args.vision_batch
    total = steps_per_epoch * args.vision_epochs
    rng = np.random.RandomState(args.seed)
    t0 = time.time()
    step = 0
    for epoch in range(args.vision_epochs):
        cnn.train()
        order = rng.permutation(len(tr_x))
        losses = []
        for b in range(steps_per_epoch):
            idx = order[b * args.vision_batch:(b + 1) * args.vision_batch]
            x = vision.normalise(torch.from_numpy(tr_x[idx]))
            y = torch.from_numpy(tr_y[idx] - 1)
            lr = args.vision_lr * 0.5 * (1 + math.cos(math.pi * step / total))
            for g in opt.param_groups:
                g["lr"] = lr
            loss = F.cross_entropy(cnn(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(float(loss))
            step += 1
        acc = accuracy(cnn, vision, te_x, te_y)
        log(f"vision epoch {epoch + 1}/{args.vision_epochs}: loss {np.mean(losses):.4f}, held-out accuracy {acc:.4f}, {time.time() - t0:.0f} s")
    metrics = {
        "train_pictures": int(len(tr_x)),
        "heldout_pictures": int(len(te_x)),
        "heldout_accuracy": round(accuracy(cnn, vision, te_x, te_y), 4),
        "demo_test_pictures": int(len(demo_x)),
        "demo_test_accuracy": round(accuracy(cnn, vision, demo_x, demo_y), 4),
        "epochs": args.vision_epochs,
        "seconds": round(time.time() - t0, 1),
    }
    log(f"vision: held-out accuracy {metrics['heldout_accuracy']}, bundled test pictures {metrics['demo_test_accuracy']} (chance {1 / 9:.3f})")
    torch.save({"vision_config": vcfg.__dict__, "backbone": cnn.state_dict(), "metrics": metrics}, os.path.join(work, "vision.pt"))
    return vision, metrics


# ---------------------------------------------------------------------------------------------
# (b) policy


class Examples:
    """Tokenised training rows: ids, prompt length and picture index (-1: text problem)."""

    def __init__(self, ids: List[np.ndarray], prompt_len: np.ndarray, image: np.ndarray):
        self.ids = ids
        self.prompt_len = prompt_len
        self.image = image
        self.lengths = np.array([len(x) for x in ids], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.ids)


def encode_rows(rows: List[Dict], tok: CharTokenizer, image_tokens: int) -> Examples:
    ids, plen, img = [], [], []
    for r in rows:
        has_image = r.get("image_count") is not None
        seq, p = tok.encode_example(
            format_prompt(r["question"], has_image), format_solution([s["text"] for s in r["reference_steps"]]), image_tokens,
        )
        ids.append(np.array(seq, dtype=np.int64))
        plen.append(p)
        img.append(int(r["image_index"]) if has_image else -1)
    return Examples(ids, np.array(plen, dtype=np.int64), np.array(img, dtype=np.int64))


def make_batch(ex: Examples, idx: np.ndarray, pad_id: int) -> Tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """Right-padded ids and labels (-100 outside the solution); pads sit after every real token, so
    the causal mask alone keeps them out of view."""
    width = int(ex.lengths[idx].max())
    ids = np.full((len(idx), width), pad_id, dtype=np.int64)
    labels = np.full((len(idx), width), -100, dtype=np.int64)
    for r, i in enumerate(idx):
        seq = ex.ids[i]
        ids[r, :len(seq)] = seq
        p = ex.prompt_len[i]
        labels[r, p - 1:len(seq) - 1] = seq[p:]
    return torch.from_numpy(ids), torch.from_numpy(labels), ex.image[idx]


def batches(ex: Examples, batch: int, rng: np.random.RandomState, group: int = 32):
    """Endless batches of similar length: shuffle, sort groups of `group` batches by length, shuffle the batches."""
    while True:
        order = rng.permutation(len(ex))
        chunk = batch * group
        for c in range(0, len(order) - chunk + 1, chunk):
            part = order[c:c + chunk]
            part = part[np.argsort(ex.lengths[part], kind="stable")]
            bs = [part[i:i + batch] for i in range(0, chunk, batch)]
            for j in rng.permutation(len(bs)):
                yield bs[j]


def policy_loss(model, vision: VisionEncoder, feats: torch.Tensor, ids, labels, images, image_id: int) -> Tuple[torch.Tensor, int]:
    embeds = model.embed(ids)
    with_image = images[images >= 0]
    if len(with_image):
        embeds = merge_image_features(embeds, ids, image_id, vision.project(feats[torch.from_numpy(with_image)]))
    logits, _ = model(inputs_embeds=embeds)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)
    return loss, int((labels != -100).sum())


@torch.no_grad()
def eval_loss(model, vision, feats, ex: Examples, idx: np.ndarray, pad_id: int, image_id: int) -> float:
    total, n = 0.0, 0
    for i in range(0, len(idx), 64):
        ids, labels, images = make_batch(ex, idx[i:i + 64], pad_id)
        loss, k = policy_loss(model, vision, feats, ids, labels, images, image_id)
        total += float(loss) * k
        n += k
    return total / max(1, n)


def ema_update(ema_params: List[torch.Tensor], params: List[torch.Tensor], decay: float) -> None:
    with torch.no_grad():
        for e, p in zip(ema_params, params):
            e.mul_(decay).add_(p.detach(), alpha=1 - decay)


def decoder_size(args) -> Dict:
    return {"hidden_size": args.hidden, "num_hidden_layers": args.layers, "num_attention_heads": args.heads,
            "num_key_value_heads": args.kv_heads, "head_dim": args.hidden // args.heads, "intermediate_size": args.ff}


def lr_at(step: int, frac: float, args) -> float:
    """Linear warmup over `warmup` steps, constant, then linear decay to lr * min_lr_ratio over the last `decay_frac` of tokens."""
    lr = args.lr * min(1.0, (step + 1) / args.warmup)
    start = 1.0 - args.decay_frac
    if frac > start:
        t = min(1.0, (frac - start) / args.decay_frac)
        lr *= 1.0 - (1.0 - args.min_lr_ratio) * t
    return lr


def train_policy(args, vision: VisionEncoder, vision_metrics: Dict, work: str) -> Dict:
    tok = CharTokenizer.from_file(os.path.join(args.tokenizer, "tokenizer.json"))
    dcfg = DecoderConfig(vocab_size=tok.vocab_size, pad_token_id=tok.pad_id, bos_token_id=tok.bos_id, eos_token_id=tok.eos_id,
                         **decoder_size(args))
    vcfg = vision.config

    held = {r["canonical"] for r in read_jsonl(os.path.join(args.demo_data, "problems.jsonl")) if r["split"] in ("val", "test")}
    rows = read_jsonl(os.path.join(args.data, "problems.jsonl"))
    train_rows = [r for r in rows if r["split"] == "train" and r["canonical"] not in held]
    val_rows = [r for r in rows if r["split"] == "val" and r["canonical"] not in held]
    dropped = sum(1 for r in rows if r["split"] == "train") - len(train_rows)
    log(f"policy data: {len(train_rows)} train rows ({dropped} dropped: canonical form in the bundled val/test), {len(val_rows)} val rows")
    train = encode_rows(train_rows, tok, vcfg.tokens)
    val = encode_rows(val_rows, tok, vcfg.tokens)
    del rows, train_rows, val_rows

    with open(os.path.join(args.data, "problem_pixels.json"), encoding="utf-8") as f:
        n_pix = json.load(f)["shape"][0]
    pix = load_u8(os.path.join(args.data, "problem_pixels.u8"), n_pix)
    backbone = vision.backbone
    backbone.eval()
    for p in backbone.parameters():
        p.requires_grad_(False)
    t0 = time.time()
    with torch.no_grad():
        feats = torch.cat([backbone.features(vision.normalise(torch.from_numpy(pix[i:i + 1000]))) for i in range(0, n_pix, 1000)])
    del pix
    log(f"frozen CNN features for {n_pix} problem pictures in {time.time() - t0:.0f} s")

    torch.manual_seed(args.seed)
    model = LlamaForCausalLM(dcfg)
    params = [p for p in model.parameters()] + list(vision.proj.parameters())
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr, betas=(0.9, 0.95),
    )
    ema_model = LlamaForCausalLM(dcfg)
    ema_model.load_state_dict(model.state_dict())
    ema_vision = VisionEncoder(vcfg)
    ema_vision.load_state_dict(vision.state_dict())
    live = list(model.parameters()) + list(vision.proj.parameters())
    shadow = list(ema_model.parameters()) + list(ema_vision.proj.parameters())
    n_params = model.num_parameters()
    log(f"decoder {n_params} parameters ({dcfg.num_hidden_layers} layers, d {dcfg.hidden_size}, heads {dcfg.num_attention_heads}/{dcfg.num_key_value_heads} kv, ff {dcfg.intermediate_size}); "
        f"vision {sum(p.numel() for p in vision.parameters())} ({sum(p.numel() for p in vision.proj.parameters())} trainable in the projection)")

    rng = np.random.RandomState(args.seed)
    val_idx = np.arange(min(len(val), args.val_rows))
    stream = batches(train, args.batch, rng)
    tokens = 0
    loss_tokens = 0
    step = 0
    t0 = time.time()
    window: List[float] = []
    history = []
    while tokens < args.tokens:
        model.train()
        idx = next(stream)
        ids, labels, images = make_batch(train, idx, dcfg.pad_token_id)
        lr = lr_at(step, tokens / args.tokens, args)
        for g in opt.param_groups:
            g["lr"] = lr
        loss, k = policy_loss(model, vision, feats, ids, labels, images, tok.image_id)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(live, 1.0)
        opt.step()
        ema_update(shadow, live, args.ema)
        tokens += int(train.lengths[idx].sum())
        loss_tokens += k
        step += 1
        window.append(float(loss))
        if step % args.log_every == 0:
            el = time.time() - t0
            log(f"step {step} tokens {tokens / 1e6:.2f}M lr {lr:.2e} loss {np.mean(window):.4f} {tokens / el:.0f} tok/s {el / 60:.1f} min")
            window = []
        if step % args.eval_every == 0:
            ema_model.eval()
            v_ema = eval_loss(ema_model, ema_vision, feats, val, val_idx, dcfg.pad_token_id, tok.image_id)
            history.append({"step": step, "tokens": tokens, "val_loss_ema": round(v_ema, 4)})
            log(f"step {step}: val loss (EMA) {v_ema:.4f}")
    seconds = time.time() - t0
    ema_model.eval()
    v_ema = eval_loss(ema_model, ema_vision, feats, val, val_idx, dcfg.pad_token_id, tok.image_id)
    model.eval()
    v_raw = eval_loss(model, vision, feats, val, val_idx, dcfg.pad_token_id, tok.image_id)
    log(f"done: {step} steps, {tokens} tokens ({loss_tokens} in the loss) in {seconds / 60:.1f} min, val loss EMA {v_ema:.4f} raw {v_raw:.4f}")

    data_hash = file_sha256([os.path.join(args.data, "problems.jsonl"), os.path.join(args.data, "problem_pixels.u8")])
    info = {
        "recipe": "models/recipes/train_policy.py",
        "seed": args.seed,
        "decoder_parameters": n_params,
        "vision_parameters": sum(p.numel() for p in vision.parameters()),
        "train_rows": len(train),
        "dropped_rows_heldout_canonical": dropped,
        "steps": step,
        "batch": args.batch,
        "tokens": tokens,
        "loss_tokens": loss_tokens,
        "seconds": round(seconds, 1),
        "tokens_per_second": round(tokens / seconds),
        "lr": args.lr,
        "warmup": args.warmup,
        "decay_frac": args.decay_frac,
        "min_lr_ratio": args.min_lr_ratio,
        "weight_decay": args.weight_decay,
        "ema": args.ema,
        "val_loss_ema": round(v_ema, 4),
        "val_loss_raw": round(v_raw, 4),
        "val_history": history,
        "training_data_hash": data_hash,
        "vision": vision_metrics,
    }
    save_checkpoint(os.path.join(work, "checkpoint.pt"), ema_model, ema_vision, {"train_info": info})
    with open(os.path.join(work, "train_info.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    return info


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="make_demo_data.ts output with --image-format pixels and --pixels N")
    ap.add_argument("--demo-data", default=os.path.join(REPO_ROOT, "models", "demo-data"), help="bundled dataset whose val/test forms are held out")
    ap.add_argument("--tokenizer", required=True, help="folder with tokenizer.json (make_tokenizer.ts)")
    ap.add_argument("--work", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--vision-epochs", type=int, default=5)
    ap.add_argument("--vision-batch", type=int, default=128)
    ap.add_argument("--vision-lr", type=float, default=3e-3)
    ap.add_argument("--vision-holdout", type=int, default=5000)
    ap.add_argument("--reuse-vision", action="store_true", help="load --work/vision.pt instead of pretraining again")
    ap.add_argument("--vision-only", action="store_true")
    ap.add_argument("--tokens", type=float, default=5e6, help="training tokens (prompt + solution, no padding)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--decay-frac", type=float, default=0.25)
    ap.add_argument("--min-lr-ratio", type=float, default=0.1)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--ema", type=float, default=0.99)
    ap.add_argument("--val-rows", type=int, default=512)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--eval-every", type=int, default=250)
    # The decoder's size (defaults: the bundled tiny-policy's, DecoderConfig's defaults). Larger and
    # smaller bases for the PRM size curve (models/tiny-prm/METRICS.md) are made with these.
    ap.add_argument("--hidden", type=int, default=DecoderConfig.hidden_size)
    ap.add_argument("--layers", type=int, default=DecoderConfig.num_hidden_layers)
    ap.add_argument("--heads", type=int, default=DecoderConfig.num_attention_heads)
    ap.add_argument("--kv-heads", type=int, default=DecoderConfig.num_key_value_heads)
    ap.add_argument("--ff", type=int, default=DecoderConfig.intermediate_size)
    args = ap.parse_args()
    if args.hidden % args.heads or args.heads % args.kv_heads:
        ap.error("--hidden must be a multiple of --heads, and --heads of --kv-heads")
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
        log("warning: OPENBLAS_NUM_THREADS is not 1; BLAS threads will oversubscribe the cores")
    os.makedirs(args.work, exist_ok=True)

    vcfg = VisionConfig(hidden_size=args.hidden)
    if args.reuse_vision:
        state = torch.load(os.path.join(args.work, "vision.pt"), map_location="cpu")
        torch.manual_seed(args.seed)  # the projection's initial weights, as after pretraining
        vision = VisionEncoder(vcfg)
        vision.backbone.load_state_dict(state["backbone"])
        vision_metrics = state["metrics"]
        log(f"vision: reusing {args.work}/vision.pt ({vision_metrics})")
    else:
        vision, vision_metrics = pretrain_vision(args, vcfg, args.work)
    if args.vision_only:
        return 0
    info = train_policy(args, vision, vision_metrics, args.work)
    log(json.dumps({k: info[k] for k in ("steps", "tokens", "seconds", "tokens_per_second", "val_loss_ema")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
