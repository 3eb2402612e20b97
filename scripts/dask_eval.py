#!/usr/bin/env python3
"""Evaluate shards of predictions on a Dask cluster and merge them exactly (docs/evaluation.md, "Partial results").

Maps `classloss eval SHARD --partial SHARD.partial.json` over the shards on the workers of a Dask cluster (by default a
LocalCluster of 2 worker processes started here), then merges the partial results with
`classloss eval --merge P1 P2 ... --json`, which gives the numbers of one pass over the concatenation of the shards.

    python3 scripts/dask_eval.py --classloss "classloss" --out merged.json preds/part-*.csv
    python3 scripts/dask_eval.py --scheduler tcp://host:8786 --classloss "dotnet /path/ClassLoss.Cli.dll" ...

Needs Dask and dask.distributed (Debian: python3-dask python3-distributed). Any extra eval option (--values logits,
--positive-label 1, ...) goes after `--`, and is passed to every shard's eval and to the merge where it applies.
"""
import argparse
import glob
import json
import shlex
import subprocess
import sys


def eval_partial(command, shard, options):
    """One shard on a worker: its partial result's path (the worker runs classloss itself)."""
    out = shard + ".partial.json"
    run = subprocess.run(command + ["eval", shard, "--partial", out] + options, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"classloss eval {shard} failed ({run.returncode}): {run.stderr.strip()}")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--classloss", default="classloss", help="the classloss command (e.g. 'dotnet ClassLoss.Cli.dll')")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler; default: a LocalCluster of 2 workers")
    parser.add_argument("--workers", type=int, default=2, help="workers of the LocalCluster (default 2)")
    parser.add_argument("--out", help="write the merged JSON report here (default: standard output)")
    parser.add_argument("shards", nargs="+", help="shard files or globs")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    options = argv[split + 1:]
    shards = sorted({p for pattern in args.shards for p in (glob.glob(pattern) or [pattern])})
    command = shlex.split(args.classloss)

    from dask.distributed import Client, LocalCluster

    cluster = None if args.scheduler else LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                                                       dashboard_address=None)
    with Client(args.scheduler or cluster) as client:
        futures = client.map(eval_partial, [command] * len(shards), shards, [options] * len(shards), pure=False)
        partials = client.gather(futures)
        workers = len(client.scheduler_info()["workers"])
    if cluster is not None:
        cluster.close()

    merge_options = [o for o in options if o.startswith("--eps") or o.startswith("--bins") or o.startswith("--top-k")]
    run = subprocess.run(command + ["eval", "--merge"] + partials + ["--json"] + merge_options, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"classloss eval --merge failed ({run.returncode}): {run.stderr.strip()}")
    report = json.loads(run.stdout)
    text = json.dumps(report, indent=2)  # in the order classloss writes, nested objects too
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        print(text)
    print(f"{len(shards)} shards on {workers} Dask workers, merged", file=sys.stderr)


if __name__ == "__main__":
    main()
