# The pandas + scikit-learn side of scripts/bench-eval.sh: the same numbers `classloss eval --values logits` prints
# (log loss, multiclass Brier, accuracy, 15-bin equal-width ECE on the top-class confidence) from a logits CSV,
# as a pandas/NumPy/scikit-learn user would compute them.  Debian: apt-get install python3-pandas python3-sklearn
#   /usr/bin/python3 scripts/eval_pandas_sklearn.py FILE.csv
import sys
import time

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, log_loss

start = time.perf_counter()
frame = pd.read_csv(sys.argv[1])
y = frame["label"].to_numpy()
z = frame.drop(columns=["label"]).to_numpy(dtype=np.float64)
z -= z.max(axis=1, keepdims=True)
p = np.exp(z)
p /= p.sum(axis=1, keepdims=True)
k = p.shape[1]
nll = log_loss(y, p, labels=np.arange(k))
onehot = np.zeros_like(p)
onehot[np.arange(len(y)), y] = 1
brier = ((p - onehot) ** 2).sum(axis=1).mean()
acc = accuracy_score(y, p.argmax(axis=1))
conf = p.max(axis=1)
correct = (p.argmax(axis=1) == y).astype(float)
bins = np.clip(np.ceil(conf * 15).astype(int) - 1, 0, 14)
ece = sum(abs(correct[bins == b].sum() - conf[bins == b].sum()) for b in range(15)) / len(y)
print(f"rows {len(y)} log_loss {nll:.10f} brier {brier:.10f} accuracy {acc:.10f} ece {ece:.10f} ({time.perf_counter() - start:.2f} s)")
