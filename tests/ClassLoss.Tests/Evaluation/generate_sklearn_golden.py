"""Golden values for ClassLoss.Evaluation.Metrics from scikit-learn 1.2.1.

Run with the Debian python that has sklearn:  /usr/bin/python3 generate_sklearn_golden.py
Writes golden/*.json next to this file. Each case holds the inputs (class names in column order, integer labels,
probability rows) and sklearn's outputs. Columns follow sklearn's label order: LabelBinarizer sorts the labels,
so the class names here are sorted and the probability columns are in that order (the "label order" that
log_loss expects). ECE/MCE are not in sklearn: they are computed here by a plain NumPy reference written
independently of the C# code (bins (lo, hi], equal-mass bins = ranks [b*n//B, (b+1)*n//B) after sorting).
"""
import json
import os

import numpy as np
import sklearn
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, brier_score_loss, confusion_matrix, log_loss,
                             precision_recall_fscore_support, top_k_accuracy_score)

assert sklearn.__version__ == "1.2.1", sklearn.__version__
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "golden")
BINS = 15


def ece_reference(p, y):
    conf = p.max(axis=1)
    pred = p.argmax(axis=1)
    correct = (pred == y).astype(float)
    n = len(y)
    ece, mce = 0.0, 0.0
    for b in range(BINS):
        lo, hi = b / BINS, (b + 1) / BINS
        mask = (conf > lo) & (conf <= hi) if b > 0 else (conf <= hi)
        if mask.sum() == 0:
            continue
        gap = abs(correct[mask].mean() - conf[mask].mean())
        ece += mask.sum() / n * gap
        mce = max(mce, gap)
    order = np.argsort(conf, kind="stable")
    mass = 0.0
    for b in range(BINS):
        lo, hi = b * n // BINS, (b + 1) * n // BINS
        if hi > lo:
            idx = order[lo:hi]
            mass += abs(correct[idx].sum() - conf[idx].sum()) / n
    return ece, mce, mass


def case(name, classes, y, p, note=""):
    y = np.asarray(y)
    p = np.asarray(p, dtype=np.float64)
    k = len(classes)
    labels = list(range(k))
    pred = p.argmax(axis=1)
    prec, rec, f1, sup = precision_recall_fscore_support(y, pred, labels=labels, average=None, zero_division=0)
    d = {
        "name": name,
        "note": note,
        "sklearn_version": sklearn.__version__,
        "classes": list(classes),
        "labels": y.tolist(),
        "probabilities": p.tolist(),
        "log_loss": log_loss(y, p, labels=labels),
        "brier_multiclass": float(np.mean(np.sum((p - np.eye(k)[y]) ** 2, axis=1))),
        "accuracy": accuracy_score(y, pred),
        "balanced_accuracy": balanced_accuracy_score(y, pred),
        "confusion_matrix": confusion_matrix(y, pred, labels=labels).tolist(),
        "precision": prec.tolist(),
        "recall": rec.tolist(),
        "f1": f1.tolist(),
        "support": sup.tolist(),
    }
    if k == 2:
        d["brier_binary"] = brier_score_loss(y, p[:, 1])
    else:
        d["top_k"] = {str(kk): top_k_accuracy_score(y, p, k=kk, labels=labels) for kk in range(1, k)}
    ece, mce, mass = ece_reference(p, y)
    d.update(ece=ece, mce=mce, ece_equal_mass=mass)
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        f.write(json.dumps(d, separators=(",", ":")).replace(',"', ',\n"'))
        f.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261123)

    # sklearn's log_loss docstring example: string labels, columns in sorted order (ham, spam) -> 0.21616...
    y_text = ["spam", "ham", "ham", "spam"]
    classes = sorted(set(y_text))
    p = [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]
    assert abs(log_loss(y_text, p) - 0.21616187468057912) < 1e-15
    case("docstring_spam_ham", classes, [classes.index(t) for t in y_text], p,
         "sklearn log_loss docstring: log_loss(['spam','ham','ham','spam'], [[.1,.9],[.9,.1],[.8,.2],[.35,.65]]) = 0.21616")

    # Multiclass, Dirichlet rows, with exact zeros and ones to exercise the eps clipping.
    k, n = 5, 300
    p = rng.dirichlet(np.full(k, 0.6), size=n)
    y = np.array([rng.choice(k, p=row) for row in p])
    p[0] = [1, 0, 0, 0, 0]
    y[0] = 1  # a confident wrong row: clipped to eps, loss ~ 36
    p[1] = [0, 0, 1, 0, 0]
    y[1] = 2
    case("multiclass_k5", [f"c{i}" for i in range(k)], y, p, "Dirichlet(0.6) rows; rows 0 and 1 are one-hot")

    # Binary.
    n = 200
    p1 = rng.beta(0.7, 0.7, size=n)
    y = (rng.random(n) < p1 ** 1.5).astype(int)
    case("binary", ["neg", "pos"], y, np.stack([1 - p1, p1], axis=1), "Beta(0.7,0.7) scores, labels drawn from p^1.5")

    # A class never in the labels (3) and a class never predicted: zero-division cases and balanced accuracy.
    k, n = 4, 60
    p = rng.dirichlet(np.ones(k), size=n)
    p[:, 1] *= 0.05
    p /= p.sum(axis=1, keepdims=True)
    y = rng.integers(0, 3, size=n)
    case("absent_classes_k4", ["a", "b", "c", "d"], y, p, "label 3 never occurs; class 1 rarely wins")

    # Rows that do not sum to 1: sklearn 1.2.1's log_loss renormalises after clipping.
    k, n = 3, 40
    p = rng.dirichlet(np.ones(k), size=n) * rng.uniform(0.8, 1.2, size=(n, 1))
    p = np.clip(p, 0, 1)
    y = rng.integers(0, k, size=n)
    case("unnormalised_k3", ["x", "y", "z"], y, p, "rows scaled by U(0.8, 1.2); log_loss renormalises")


if __name__ == "__main__":
    main()
