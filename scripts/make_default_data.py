#!/usr/bin/python3
"""Builds the embedded default data set: a fixed stratified subset of Fashion-MNIST (MIT, Zalando Research).

300 images per class from the training set (3000) and 100 per class from the test set (1000), chosen with a
fixed NumPy seed, written as gzip'd IDX files under src/ClassLoss.Training/Data/Default/.
Run with /usr/bin/python3 scripts/make_default_data.py (numpy required).
"""
import gzip
import os
import struct

import numpy as np

SRC = "/usr/share/datasets/fashion-mnist"
DST = os.path.join(os.path.dirname(__file__), "..", "src", "ClassLoss.Training", "Data", "Default")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype == 0x08
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def write_idx(path, array):
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    # mtime=0 keeps the gzip bytes reproducible.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as f:
        f.write(header + array.astype(np.uint8).tobytes())


def subset(images, labels, per_class, rng):
    idx = np.concatenate([np.sort(rng.choice(np.flatnonzero(labels == c), per_class, replace=False)) for c in range(10)])
    idx = idx[rng.permutation(len(idx))]
    return images[idx], labels[idx]


def main():
    rng = np.random.default_rng(20261123)
    os.makedirs(DST, exist_ok=True)
    for split, prefix, per_class in (("train", "train", 300), ("test", "t10k", 100)):
        x = read_idx(os.path.join(SRC, f"{prefix}-images-idx3-ubyte.gz"))
        y = read_idx(os.path.join(SRC, f"{prefix}-labels-idx1-ubyte.gz"))
        xs, ys = subset(x, y, per_class, rng)
        write_idx(os.path.join(DST, f"{split}-images-idx3-ubyte.gz"), xs)
        write_idx(os.path.join(DST, f"{split}-labels-idx1-ubyte.gz"), ys)
        print(split, xs.shape, np.bincount(ys))


if __name__ == "__main__":
    main()
