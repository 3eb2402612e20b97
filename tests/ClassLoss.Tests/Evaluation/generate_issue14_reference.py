"""Reference numbers for the issue-14 metrics and calibrators, from scikit-learn 1.2.1 (Debian python3-sklearn).

Run:  /usr/bin/python3 tests/ClassLoss.Tests/Evaluation/generate_issue14_reference.py
Writes SklearnReference.cs next to this file: the inputs and expected values as C# literals, so the tests need
no Python. sklearn gives roc_auc_score / average_precision_score (one-vs-rest per class, macro), brier_score_loss
with pos_label, and CalibratedClassifierCV(method="isotonic", cv="prefit") on a pass-through classifier (its
predict_proba returns X, so X is the probability matrix). Classwise ECE, ACE and the Brier decomposition are not in
sklearn: they are computed below by plain NumPy written from the papers' formulas, independently of the C# code.
Beta calibration (Kull et al. 2017) is the betacal package's recipe: a logistic regression on (ln p, -ln(1 - p))
with a huge C, here sklearn's LogisticRegression(C=1e12, solver="newton-cg").
"""
import numpy as np
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

assert sklearn.__version__ == "1.2.1", sklearn.__version__
BINS = 15
LINES = []


def emit(*parts):
    LINES.append(" ".join(str(p) for p in parts))


def cs(a):
    a = np.asarray(a)
    if a.dtype.kind in "iu":
        return "[" + ", ".join(str(int(v)) for v in a.ravel()) + "]"
    return "[" + ", ".join(repr(float(v)) for v in a.ravel()) + "]"


def multiclass_case(seed, n, k):
    rng = np.random.default_rng(seed)
    # Probabilities on a coarse grid so that many scores tie, rows summing to 1 exactly in binary fractions.
    counts = rng.integers(0, 5, size=(n, k)).astype(float) + 0.0
    counts[counts.sum(axis=1) == 0, 0] = 1
    p = counts / counts.sum(axis=1, keepdims=True)
    y = rng.integers(0, k, size=n)
    y[:k] = np.arange(k)  # every class present
    return p, y


def bin_of(p):
    return np.clip(np.ceil(p * BINS).astype(int) - 1, 0, BINS - 1)


def classwise(p, y):
    n, k = p.shape
    ece = 0.0
    rel = res = unc = within = 0.0
    for c in range(k):
        pc, yc = p[:, c], (y == c).astype(float)
        b = bin_of(pc)
        rate = yc.mean()
        unc += rate * (1 - rate)
        e = 0.0
        for j in range(BINS):
            m = b == j
            if not m.any():
                continue
            e += abs(yc[m].sum() - pc[m].sum()) / n
            rel += m.sum() * (pc[m].mean() - yc[m].mean()) ** 2 / n
            res += m.sum() * (yc[m].mean() - rate) ** 2 / n
            within += (((pc[m] - pc[m].mean()) ** 2).sum() - 2 * ((pc[m] - pc[m].mean()) * (yc[m] - yc[m].mean())).sum()) / n
        ece += e
    return ece / k, rel, res, unc, within


def ace(p, y):
    n, k = p.shape
    total, bins = 0.0, 0
    for c in range(k):
        order = np.argsort(p[:, c], kind="stable")
        for r in range(BINS):
            lo, hi = r * n // BINS, (r + 1) * n // BINS
            if hi > lo:
                idx = order[lo:hi]
                total += abs((y[idx] == c).sum() - p[idx, c].sum()) / (hi - lo)
                bins += 1
    return total / bins


class PassThrough(ClassifierMixin, BaseEstimator):
    def __init__(self, k):
        self.k = k

    def fit(self, X, y):
        self.classes_ = np.arange(self.k)
        return self

    def predict_proba(self, X):
        return np.asarray(X)


emit("// --- multiclass K=4, N=40 (seed 14) ---")
p, y = multiclass_case(14, 40, 4)
emit("Labels =", cs(y))
emit("Probabilities =", cs(p))
emit("RocAuc =", cs(roc_auc_score(y, p, multi_class="ovr", average=None)))
emit("MacroRocAuc =", repr(roc_auc_score(y, p, multi_class="ovr", average="macro")))
onehot = np.eye(4)[y]
emit("AveragePrecision =", cs(average_precision_score(onehot, p, average=None)))
emit("MacroAveragePrecision =", repr(average_precision_score(onehot, p, average="macro")))
e, rel, res, unc, within = classwise(p, y)
emit("ClasswiseEce =", repr(e), "; Rel =", repr(rel), "; Res =", repr(res), "; Unc =", repr(unc), "; Within =", repr(within))
emit("Brier =", repr(((p - onehot) ** 2).sum(axis=1).mean()))
emit("Ace =", repr(ace(p, y)))

emit("// --- binary one column, labels ham/spam, pos_label spam ---")
rng = np.random.default_rng(7)
pb = np.round(rng.uniform(size=30), 1)
yb = np.where(rng.uniform(size=30) < pb, "spam", "ham")
emit("BinaryLabels =", "[" + ", ".join('"%s"' % v for v in yb) + "]")
emit("BinaryP =", cs(pb))
emit("BinaryAuc =", repr(roc_auc_score(yb == "spam", pb)))
emit("BinaryAp =", repr(average_precision_score(yb, pb, pos_label="spam")))
emit("BinaryBrier =", repr(brier_score_loss(yb, pb, pos_label="spam")))

emit("// --- isotonic, CalibratedClassifierCV(method='isotonic', cv='prefit'), K=3 ---")
rng = np.random.default_rng(21)
def noisy(n, k, rng):
    z = rng.normal(size=(n, k)) * 2
    q = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    yy = np.array([rng.choice(k, p=row) for row in np.exp(z / 2) / np.exp(z / 2).sum(axis=1, keepdims=True)])
    return np.round(q, 3), yy
pf, yf = noisy(60, 3, rng)
pt, _ = noisy(8, 3, rng)
pf /= pf.sum(axis=1, keepdims=True)
pt /= pt.sum(axis=1, keepdims=True)
cal = CalibratedClassifierCV(PassThrough(3).fit(None, None), method="isotonic", cv="prefit").fit(pf, yf)
emit("IsoFitP =", cs(pf))
emit("IsoFitY =", cs(yf))
emit("IsoTestP =", cs(pt))
emit("IsoExpected =", cs(cal.predict_proba(pt)))
emit("// binary isotonic on the positive column")
pf2 = np.column_stack([1 - pb, pb])
yf2 = (yb == "spam").astype(int)
pt2 = np.array([[0.95, 0.05], [0.6, 0.4], [0.35, 0.65], [0.0, 1.0], [0.22, 0.78]])
cal2 = CalibratedClassifierCV(PassThrough(2).fit(None, None), method="isotonic", cv="prefit").fit(pf2, yf2)
emit("IsoBinaryTestP =", cs(pt2))
emit("IsoBinaryExpected =", cs(cal2.predict_proba(pt2)))

emit("// --- beta calibration (betacal recipe) ---")
rng = np.random.default_rng(5)
s = rng.uniform(0.02, 0.98, size=400)
true = 1 / (1 + 1 / (np.exp(0.3) * s ** 2.0 / (1 - s) ** 0.7))
yy = (rng.uniform(size=400) < true).astype(int)
s = np.round(s, 4)
x = np.column_stack([np.log(s), -np.log(1 - s)])
lr = LogisticRegression(C=1e12, solver="newton-cg", tol=1e-10, max_iter=10000).fit(x, yy)
emit("BetaP =", cs(s))
emit("BetaY =", cs(yy))
emit("BetaA =", repr(lr.coef_[0][0]), "; BetaB =", repr(lr.coef_[0][1]), "; BetaC =", repr(lr.intercept_[0]))


def write_csharp():
    import os
    import re
    out = ["// Generated by generate_issue14_reference.py (scikit-learn %s, NumPy %s; Debian python3-sklearn): the inputs"
           % (sklearn.__version__, np.__version__),
           "// and sklearn's outputs as literals, so the tests need no Python. Do not edit: re-run the script.",
           "namespace ClassLoss.Tests.Evaluation;", "",
           "/// <summary>Reference inputs and scikit-learn outputs for the issue-14 metrics and calibrators.</summary>",
           "internal static class SklearnReference", "{"]
    for line in LINES:
        if line.startswith("//"):
            out.append("    " + line)
            continue
        for part in line.split(" ; "):
            name, val = re.match(r"(\w+) = (.*)", part.strip()).groups()
            if val.startswith('["'):
                out.append(f"    internal static readonly string[] {name} = {val};")
            elif val.startswith("["):
                t = "int" if not any(ch in val for ch in ".e") else "double"
                out.append(f"    internal static readonly {t}[] {name} = {val};")
            else:
                out.append(f"    internal const double {name} = {val};")
    out.append("}")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "SklearnReference.cs")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


write_csharp()
