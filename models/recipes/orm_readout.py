"""Where a MathSE-style ORM's `error_step` comes from: the ORM is given a row's input and the start of its
verdict, `{"status":"WRONG","error_step":`, and its most likely next token is read (teacher forcing, so
nothing before the step number can go wrong). Run on the rows it was trained on and on fresh rows of the
same recipe, this separates "it did not fit its rows" from "it fitted them and does not generalise".
Each readout is set beside two rules that see no line's content: the most common error step of the rows
(a constant) and the most common error step of rows with the same number of lines (the best rule that
reads only the solution's length).

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/recipes/orm_readout.py --orm models/tiny-orm \
        --rows W/problems/orm-train.jsonl [--limit 800] [--json]

The rows are make_orm_data.py's (TRL conversations; `--numbered` rows for an ORM trained with
"orm_numbered"; an ORM trained with "orm_prm_layout" gets them laid out as it was trained). Only WRONG
rows without a picture are read: the readout needs no vision encoder then, and the count of such rows is
printed.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import sys
from typing import Dict, List, Tuple

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from steplab_model import CHECKPOINT_FILE, CharTokenizer, format_orm_input, generate, load_checkpoint, orm_provenance, split_orm_input  # noqa: E402

PREFIX = '{"status":"WRONG","error_step":'


Row = Tuple[str, Tuple[str, bool, List[str]], int]


def read_rows(path: str, limit: int) -> List[Row]:
    """(ORM input; its question, has image and lines; gold error step) of the first `limit` text-only WRONG rows."""
    out: List[Row] = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                row = json.loads(line)
                user, target = row["messages"][0]["content"], json.loads(row["messages"][1]["content"])
                parts = split_orm_input(user)  # numbered lines are read as lines too
                if parts is None:
                    raise ValueError
            except (ValueError, KeyError, IndexError, TypeError):
                raise SystemExit(f"orm_readout: {path} line {n}: not an ORM row (make_orm_data.py writes them)")
            if row.get("images") or target.get("status") != "WRONG":
                continue
            out.append((user, parts, int(target["error_step"])))
            if len(out) >= limit:
                break
    return out


def readout(orm: str, rows: List[Row], batch: int = 64) -> List[str]:
    model, _, _ = load_checkpoint(os.path.join(orm, CHECKPOINT_FILE))
    model.eval()
    tok = CharTokenizer.from_file(os.path.join(orm, "tokenizer.json"))
    with open(os.path.join(orm, "manifest.json"), encoding="utf-8") as f:
        layout = orm_provenance(json.load(f)).get("prm_layout")
    # an ORM trained with "orm_prm_layout" reads its rows in the PRM's layout (trainer_orm.py)
    texts = [format_orm_input(q, steps, has_image, prm_layout=layout) if layout else user for user, (q, has_image, steps), _ in rows]
    preds: List[str] = []
    with torch.no_grad():
        for b0 in range(0, len(texts), batch):
            prompts = [tok.encode_prompt(t, 1) + tok.encode(PREFIX, add_bos=False) for t in texts[b0:b0 + batch]]
            preds.extend(tok.decode(o) for o in generate(model, prompts, 1, tok.eos_id, tok.pad_id))
    return preds


def summarise(rows: List[Row], preds: List[str]) -> Dict:
    n = len(rows)
    gold = [(g, len(parts[2])) for _, parts, g in rows]  # (error step, number of lines)
    exact = sum(p == str(g) for (g, _), p in zip(gold, preds))
    by_gold: Dict[int, List[int]] = collections.defaultdict(lambda: [0, 0])
    for (g, _), p in zip(gold, preds):
        by_gold[g][0] += p == str(g)
        by_gold[g][1] += 1
    common = collections.Counter(g for g, _ in gold).most_common(1)[0]
    by_len: Dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
    for g, k in gold:
        by_len[k][g] += 1
    length_rule = sum(c.most_common(1)[0][1] for c in by_len.values())
    return {
        "rows": n,
        "exact": round(100 * exact / n, 1),
        "by_gold_step": {str(g): {"n": v[1], "exact": round(100 * v[0] / v[1], 1)} for g, v in sorted(by_gold.items())},
        "predicted": dict(collections.Counter(preds).most_common()),
        "constant_rule": {"step": common[0], "exact": round(100 * common[1] / n, 1)},
        "length_rule_exact": round(100 * length_rule / n, 1),
        "rows_read": [{"error_step": g, "lines": k, "predicted": p} for (g, k), p in zip(gold, preds)],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--orm", required=True, help="an ORM folder (trainer.py's orm task)")
    ap.add_argument("--rows", required=True, help="make_orm_data.py rows (orm-train.jsonl)")
    ap.add_argument("--limit", type=int, default=800, help="text-only WRONG rows to read (default 800)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    for p in (os.path.join(args.orm, CHECKPOINT_FILE), args.rows):
        if not os.path.isfile(p):
            print(f"orm_readout: {p} is missing", file=sys.stderr)
            return 2
    rows = read_rows(args.rows, args.limit)
    if not rows:
        print(f"orm_readout: {args.rows} has no WRONG row without a picture", file=sys.stderr)
        return 2
    s = summarise(rows, readout(args.orm, rows))
    if args.json:
        print(json.dumps(s, indent=1))
    else:
        print(f"{args.orm} on {s['rows']} text-only WRONG rows of {args.rows}: error_step exact {s['exact']}% "
              f"(constant step {s['constant_rule']['step']}: {s['constant_rule']['exact']}%; best rule by line count: {s['length_rule_exact']}%)")
        print("  by gold step: " + ", ".join(f"{g}: {v['exact']}% of {v['n']}" for g, v in s["by_gold_step"].items()))
        print("  predicted: " + ", ".join(f"{k}: {v}" for k, v in s["predicted"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
