"""PyTorch greedy decoding for parity checks: reads cases prepared by the TypeScript side (prompt token
ids, and for image prompts the preprocessed pixel values it feeds onnxruntime), decodes greedily with the
model folder's checkpoint.pt, and writes the new tokens of each case (cut after EOS, EOS kept).

    /usr/bin/python3 models/recipes/parity.py --model models/tiny-policy --cases cases.json --out tokens.json
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from steplab_model import generate, load_checkpoint  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--cases", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    decoder, vision, _ = load_checkpoint(os.path.join(args.model, "checkpoint.pt"))
    decoder.eval()
    with open(os.path.join(args.model, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    with open(args.cases, encoding="utf-8") as f:
        spec = json.load(f)
    out = []
    with torch.no_grad():
        for case in spec["cases"]:
            feats = None
            if case.get("pixels") is not None:
                if vision is None:
                    raise SystemExit("case has pixels but the checkpoint has no vision encoder")
                vision.eval()
                c = vision.config
                pv = torch.tensor(case["pixels"], dtype=torch.float32).view(1, c.channels, c.image_size, c.image_size)
                feats = vision(pv)
            tokens = generate(decoder, [case["prompt_ids"]], spec["max_new_tokens"], cfg["eos_token_id"], cfg["pad_token_id"],
                              image_token_id=spec.get("image_token_id"), image_features=feats)[0]
            out.append(tokens)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"tokens": out}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
