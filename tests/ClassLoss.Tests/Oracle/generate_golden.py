#!/usr/bin/python3
"""Writes the PyTorch golden files the oracle tests compare against.

Run from the repository root with Debian's PyTorch (python3-torch):

    /usr/bin/python3 tests/ClassLoss.Tests/Oracle/generate_golden.py [FUNCTION ...]

Everything is deterministic (fixed seeds per function) and computed in float64. Inputs are drawn as float32 and
widened, so the same numbers are exactly representable in both float and double and the float tests only measure
the kernels' own rounding. Doubles are written with repr (shortest round-trip); +-inf and NaN are written as the
strings "inf", "-inf", "nan".

Schema (one file per function):
  {"function": ..., "torch_version": ..., "generator": ..., "cases": [
     {"name": ..., "options": {...}, "shape": [N, K], "input": [flat N*K],
      "labels": [N] (class indices) or "target": [flat N*K],
      "upstream": [flat] (activation VJPs only: the vector the VJP is taken with),
      "output": [flat] (activations only),
      "loss": reduced value (for reduction "none": the sum of the unreduced losses),
      "row_losses": [flat] (reduction "none" only: torch's unreduced output, shape "row_losses_shape"),
      "grad": [flat N*K] d(loss)/d(input) by autograd (for "none": with an upstream of ones)}]}
"""

import json
import math
import os
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "golden")
GENERATOR = "tests/ClassLoss.Tests/Oracle/generate_golden.py"


# ----------------------------------------------------------------------------------------------------------------------
# helpers

def enc(v):
    """A float as JSON: repr precision, +-inf and NaN as strings."""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def flat(t):
    return [enc(v) for v in t.detach().reshape(-1).tolist()]


def f32(t):
    """Round to float32 and widen back, so the value is exact in both precisions."""
    return t.to(torch.float32).to(torch.float64)


class Rng:
    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def randn(self, *shape, scale=1.0):
        return f32(torch.randn(*shape, generator=self.g) * scale)

    def rand(self, *shape):
        return f32(torch.rand(*shape, generator=self.g))

    def randint(self, high, *shape):
        return torch.randint(0, high, shape, generator=self.g)

    def probs(self, n, k):
        """Random probability rows (normalised exponentials), rounded to float32."""
        e = -torch.log1p(-torch.rand(n, k, generator=self.g))
        return f32(e / e.sum(1, keepdim=True))

    def weights(self, k):
        return f32(torch.rand(k, generator=self.g) * 2 + 0.1)

    def choice(self, seq):
        return seq[int(torch.randint(0, len(seq), (1,), generator=self.g))]


def write(function, cases, note=None):
    os.makedirs(OUT, exist_ok=True)
    doc = {"function": function, "torch_version": torch.__version__, "generator": GENERATOR}
    if note:
        doc["note"] = note
    doc["cases"] = cases
    path = os.path.join(OUT, function + ".json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), function + ": duplicate case names"
    print(f"{function}: {len(cases)} cases, {os.path.getsize(path)} bytes")
    return len(cases)


def finish(case, out, x, reduction, upstream=None):
    """Fills loss / row_losses / grad from torch's output `out` (unreduced when reduction is 'none')."""
    if reduction == "none":
        case["loss"] = enc(out.sum())
        case["row_losses"] = flat(out)
        case["row_losses_shape"] = list(out.shape)
        total = out.sum() if upstream is None else (out * upstream).sum()
    else:
        case["loss"] = enc(out)
        total = out
    x.grad = None
    total.backward()
    case["grad"] = flat(x.grad) if x.grad is not None else [0.0] * x.numel()
    return case


# ----------------------------------------------------------------------------------------------------------------------
# cross_entropy  (our SoftmaxCrossEntropy.Evaluate)

def ce_case(name, z, *, labels=None, target=None, weight=None, ignore_index=-100, label_smoothing=0.0,
            temperature=1.0, reduction="mean", mask_convention=False):
    n, k = z.shape
    x = z.clone().requires_grad_(True)
    kw = dict(weight=weight, reduction=reduction, label_smoothing=label_smoothing)
    case = {"name": name, "options": {
        "target_kind": "index" if labels is not None else "prob",
        "reduction": reduction,
        "weight": None if weight is None else flat(weight),
        "ignore_index": ignore_index,
        "label_smoothing": label_smoothing,
        "temperature": temperature,
    }, "shape": [n, k], "input": flat(z)}
    if labels is not None:
        case["labels"] = labels.tolist()
        out = F.cross_entropy(x / temperature, labels, ignore_index=ignore_index, **kw)
    else:
        case["target"] = flat(target)
        if mask_convention:
            # torch computes 0 * (-inf) = NaN for a masked (-inf) logit whose target probability is 0; we (and
            # Optax / the 0 log 0 = 0 convention) take that term as 0. Same formula as torch's
            # cross_entropy_loss_prob_target, with torch.where for the zero-target terms.
            native = F.cross_entropy(x.detach() / temperature, target, **kw)
            case["torch_native_loss"] = flat(native) if native.dim() else enc(native)
            case["note"] = "0*(-inf) taken as 0 (torch gives NaN loss here); formula evaluated in torch with where"
            logp = torch.log_softmax(x / temperature, 1)
            q = target * (1 - label_smoothing) + label_smoothing / k
            if weight is not None:
                q = q * weight
            terms = torch.where(q > 0, -q * logp, torch.zeros_like(logp))
            rows = terms.sum(1)
            out = rows if reduction == "none" else rows.sum() if reduction == "sum" else rows.sum() / n
        else:
            out = F.cross_entropy(x / temperature, target, **kw)
    return finish(case, out, x, reduction)


def gen_cross_entropy():
    r = Rng(1001)
    cases = []
    reductions = ["none", "sum", "mean"]
    shapes = [(1, 3), (2, 4), (3, 5), (4, 6), (5, 3), (6, 8), (7, 10), (8, 12), (3, 12), (8, 2)]
    temps = [1.0, 0.5, 2.0, 1.0, 0.3]

    # index targets: every combination of reduction x weight x smoothing x ignore, five random shapes/temperatures each
    i = 0
    for red in reductions:
        for weighted in (False, True):
            for eps in (0.0, 0.1, 0.45):
                for ignore in ("none", "default", "custom"):
                    for rep in range(4):
                        n, k = shapes[(i * 7 + rep * 3) % len(shapes)]
                        tau = temps[(i + rep) % len(temps)]
                        i += 1
                        z = r.randn(n, k, scale=r.choice([1.0, 3.0, 8.0]))
                        y = r.randint(k, n)
                        ii = -100
                        if ignore == "default" and n > 1:
                            y[r.randint(n, 1)] = -100
                        elif ignore == "custom":
                            ii = -1 if rep % 2 == 0 else min(1, k - 1)
                            y[r.randint(n, 1)] = ii
                        w = r.weights(k) if weighted else None
                        name = f"index_{red}_{'w' if weighted else 'nw'}_ls{eps}_{ignore}_{rep}_{n}x{k}_t{tau}"
                        cases.append(ce_case(name, z, labels=y, weight=w, ignore_index=ii, label_smoothing=eps,
                                             temperature=tau, reduction=red))

    # probability targets: reduction x weight x smoothing, four each (with one one-hot and one with exact zeros)
    for red in reductions:
        for weighted in (False, True):
            for eps in (0.0, 0.1, 0.45):
                for rep in range(4):
                    n, k = shapes[(i * 5 + rep) % len(shapes)]
                    tau = temps[(i + rep * 2) % len(temps)]
                    i += 1
                    z = r.randn(n, k, scale=r.choice([1.0, 3.0]))
                    if rep == 2:
                        t = F.one_hot(r.randint(k, n), k).double()
                    else:
                        t = r.probs(n, k)
                        if rep == 3 and k > 2:
                            t[:, 0] = 0.0
                            t = f32(t / t.sum(1, keepdim=True))
                    w = r.weights(k) if weighted else None
                    name = f"prob_{red}_{'w' if weighted else 'nw'}_ls{eps}_{rep}_{n}x{k}_t{tau}"
                    cases.append(ce_case(name, z, target=t, weight=w, label_smoothing=eps, temperature=tau,
                                         reduction=red))

    # all rows ignored: torch's mean is 0/0 = NaN with a zero gradient (our EmptyMean.NaN; default EmptyMean.Zero gives 0)
    for red in reductions:
        for eps in (0.0, 0.2):
            for weighted in (False, True):
                n, k = 3, 4
                z = r.randn(n, k)
                y = torch.full((n,), -100, dtype=torch.long)
                w = r.weights(k) if weighted else None
                cases.append(ce_case(f"all_ignored_{red}_ls{eps}_{'w' if weighted else 'nw'}", z, labels=y, weight=w,
                                     label_smoothing=eps, reduction=red))

    # adversarial: logits +-1e4 (saturated softmax)
    for red in reductions:
        for eps in (0.0, 0.1):
            for weighted in (False, True):
                n, k = 4, 5
                z = f32(torch.sign(r.randn(n, k)) * 1e4 + r.randn(n, k))
                y = r.randint(k, n)
                w = r.weights(k) if weighted else None
                tag = f"{red}_ls{eps}_{'w' if weighted else 'nw'}"
                cases.append(ce_case(f"huge_1e4_index_{tag}", z, labels=y, weight=w, label_smoothing=eps,
                                     reduction=red))
                cases.append(ce_case(f"huge_1e4_prob_{tag}", z, target=r.probs(n, k), weight=w, label_smoothing=eps,
                                     reduction=red))
                cases.append(ce_case(f"huge_1e4_index_t0.5_{tag}", z, labels=y, weight=w, label_smoothing=eps,
                                     temperature=0.5, reduction=red))

    # adversarial: a large common shift (1e8) on top of O(1) logits (rounded to float32, so multiples of 8)
    for red in reductions:
        for rep in range(4):
            n, k = 3, 6
            z = f32(1e8 + r.randn(n, k, scale=30.0))
            y = r.randint(k, n)
            cases.append(ce_case(f"shift_1e8_index_{red}_{rep}", z, labels=y, reduction=red,
                                 label_smoothing=0.1 * (rep % 2)))
            cases.append(ce_case(f"shift_1e8_prob_{red}_{rep}", z, target=r.probs(n, k), reduction=red,
                                 label_smoothing=0.1 * (rep % 2)))
            zs = f32(1e8 + r.randn(n, k, scale=1.0))
            cases.append(ce_case(f"shift_1e8_small_spread_{red}_{rep}", zs, labels=y, reduction=red))

    # adversarial: masked classes (-inf) whose target is 0 (no smoothing)
    for red in reductions:
        for rep in range(4):
            n, k = 4, 6
            z = r.randn(n, k, scale=2.0)
            y = r.randint(k, n)
            mask = torch.rand(n, k, generator=r.g) < 0.4
            mask[torch.arange(n), y] = False
            z[mask] = -math.inf
            w = r.weights(k) if rep % 2 else None
            cases.append(ce_case(f"masked_index_{red}_{rep}", z, labels=y, weight=w, reduction=red,
                                 temperature=[1.0, 2.0][rep // 2]))
            t = r.probs(n, k)
            t[mask] = 0.0
            t = f32(t / t.sum(1, keepdim=True))
            cases.append(ce_case(f"masked_prob_{red}_{rep}", z, target=t, weight=w, reduction=red,
                                 mask_convention=True))

    # tiny K: K = 1 (loss 0, gradient 0 without smoothing) and K = 2
    for red in reductions:
        for k in (1, 2):
            for eps in (0.0, 0.3):
                for weighted in (False, True):
                    n = 5
                    z = r.randn(n, k, scale=4.0)
                    y = r.randint(k, n)
                    w = r.weights(k) if weighted else None
                    tag = f"{red}_k{k}_ls{eps}_{'w' if weighted else 'nw'}"
                    cases.append(ce_case(f"tiny_index_{tag}", z, labels=y, weight=w, label_smoothing=eps,
                                         reduction=red))
                    cases.append(ce_case(f"tiny_prob_{tag}", z, target=r.probs(n, k), weight=w, label_smoothing=eps,
                                         reduction=red))

    # zero class weights (including the target's class) and full smoothing eps = 1
    for red in reductions:
        n, k = 6, 4
        z = r.randn(n, k, scale=2.0)
        y = torch.tensor([0, 1, 2, 3, 1, 0])
        w = f32(torch.tensor([0.0, 1.5, 0.0, 0.7]))
        cases.append(ce_case(f"zero_weights_index_{red}", z, labels=y, weight=w, reduction=red))
        cases.append(ce_case(f"zero_weights_index_ls0.2_{red}", z, labels=y, weight=w, label_smoothing=0.2,
                             reduction=red))
        cases.append(ce_case(f"full_smoothing_index_{red}", z, labels=y, label_smoothing=1.0, reduction=red))
        cases.append(ce_case(f"full_smoothing_prob_{red}", z, target=r.probs(n, k), label_smoothing=1.0,
                             reduction=red))
    return write("cross_entropy", cases, note="torch.nn.functional.cross_entropy(input / temperature, ...)")


# ----------------------------------------------------------------------------------------------------------------------
# other losses (kernels written in parallel by other helpers)

def gen_bce_with_logits():
    r = Rng(2002)
    cases = []
    shapes = [(1, 1), (3, 1), (4, 3), (5, 6), (8, 12), (2, 7)]
    i = 0
    for red in ("none", "sum", "mean"):
        for weighted in (False, True):
            for pos in (False, True):
                for rep in range(4):
                    n, k = shapes[(i + rep) % len(shapes)]
                    i += 1
                    scale = [1.0, 4.0, 1e4, 20.0][rep]
                    z = r.randn(n, k, scale=scale)
                    if rep == 2:
                        z = f32(torch.sign(z) * 1e4 + r.randn(n, k))
                    t = r.rand(n, k) if rep == 1 else r.randint(2, n, k).double()
                    w = r.weights(k) if weighted else None
                    pw = r.weights(k) * 2 if pos else None
                    x = z.clone().requires_grad_(True)
                    out = F.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw, reduction=red)
                    case = {"name": f"{red}_{'w' if weighted else 'nw'}_{'pw' if pos else 'npw'}_{rep}_{n}x{k}",
                            "options": {"reduction": red, "weight": None if w is None else flat(w),
                                        "pos_weight": None if pw is None else flat(pw)},
                            "shape": [n, k], "input": flat(z), "target": flat(t)}
                    cases.append(finish(case, out, x, red))
    return write("binary_cross_entropy_with_logits", cases,
                 note="multi-label [N,K]; weight and pos_weight have length K and broadcast over rows; mean divides by N*K")


def gen_bce():
    r = Rng(3003)
    cases = []
    shapes = [(1, 1), (4, 1), (4, 3), (6, 5), (8, 12)]
    i = 0
    for red in ("none", "sum", "mean"):
        for weighted in (False, True):
            for rep in range(5):
                n, k = shapes[(i + rep) % len(shapes)]
                i += 1
                p = f32(torch.sigmoid(r.randn(n, k, scale=[1.0, 3.0, 10.0, 1.0, 2.0][rep])))
                p = p.clamp(1e-6, 1 - 1e-6) if rep < 2 else p
                p = f32(p)
                t = r.rand(n, k) if rep == 3 else r.randint(2, n, k).double()
                w = r.weights(k) if weighted else None
                x = p.clone().requires_grad_(True)
                out = F.binary_cross_entropy(x, t, weight=w, reduction=red)
                case = {"name": f"{red}_{'w' if weighted else 'nw'}_{rep}_{n}x{k}",
                        "options": {"reduction": red, "weight": None if w is None else flat(w)},
                        "shape": [n, k], "input": flat(p), "target": flat(t)}
                cases.append(finish(case, out, x, red))
    # edges: probabilities exactly 0 and 1 (torch clamps log at -100; its backward divides by max(p(1-p), 1e-12))
    for red in ("none", "sum", "mean"):
        p = torch.tensor([[0.0, 1.0, 0.0, 1.0, 1e-30, 0.5]])
        t = torch.tensor([[0.0, 1.0, 1.0, 0.0, 0.0, 1.0]])
        x = p.clone().requires_grad_(True)
        out = F.binary_cross_entropy(x, t, reduction=red)
        case = {"name": f"edges_{red}", "options": {"reduction": red, "weight": None}, "shape": [1, 6],
                "input": flat(p), "target": flat(t),
                "note": "torch: log clamped at -100, gradient (p - y) / max(p (1 - p), 1e-12)"}
        cases.append(finish(case, out, x, red))
    return write("binary_cross_entropy", cases, note="input are probabilities; weight has length K (broadcast)")


def gen_nll():
    r = Rng(4004)
    cases = []
    shapes = [(1, 2), (3, 4), (5, 5), (8, 12), (6, 3)]
    i = 0
    for red in ("none", "sum", "mean"):
        for weighted in (False, True):
            for ignore in ("none", "default", "custom", "all"):
                for rep in range(2):
                    n, k = shapes[(i + rep) % len(shapes)]
                    i += 1
                    logp = f32(torch.log_softmax(r.randn(n, k, scale=3.0), 1))
                    y = r.randint(k, n)
                    ii = -100
                    if ignore == "default":
                        y[r.randint(n, 1)] = -100
                    elif ignore == "custom":
                        ii = 0
                    elif ignore == "all":
                        y[:] = -100
                    w = r.weights(k) if weighted else None
                    x = logp.clone().requires_grad_(True)
                    out = F.nll_loss(x, y, weight=w, ignore_index=ii, reduction=red)
                    case = {"name": f"{red}_{'w' if weighted else 'nw'}_{ignore}_{rep}_{n}x{k}",
                            "options": {"reduction": red, "weight": None if w is None else flat(w), "ignore_index": ii},
                            "shape": [n, k], "input": flat(logp), "labels": y.tolist()}
                    cases.append(finish(case, out, x, red))
    return write("nll_loss", cases, note="input are log-probabilities; all rows ignored with mean gives NaN")


def gen_kl_div():
    r = Rng(5005)
    cases = []
    shapes = [(1, 2), (3, 4), (4, 6), (8, 12), (5, 3)]
    i = 0
    for red in ("none", "sum", "mean", "batchmean"):
        for log_target in (False, True):
            for rep in range(4):
                n, k = shapes[(i + rep) % len(shapes)]
                i += 1
                logq = f32(torch.log_softmax(r.randn(n, k, scale=2.0), 1))
                p = r.probs(n, k)
                if rep == 3 and k > 2:
                    p[:, 1] = 0.0
                    p = f32(p / p.sum(1, keepdim=True))
                tgt = f32(torch.log(p)) if log_target else p
                x = logq.clone().requires_grad_(True)
                out = F.kl_div(x, tgt, reduction=red, log_target=log_target)
                case = {"name": f"{red}_{'logt' if log_target else 'probt'}_{rep}_{n}x{k}",
                        "options": {"reduction": red, "log_target": log_target},
                        "shape": [n, k], "input": flat(logq), "target": flat(tgt)}
                cases.append(finish(case, out, x, red))
    return write("kl_div", cases, note="input are log-probabilities; 'mean' divides by N*K, 'batchmean' by N; "
                                        "target 0 (log_target false) contributes 0")


def sigmoid_focal_loss(inputs, targets, alpha, gamma, reduction):
    # torchvision.ops.sigmoid_focal_loss, verbatim formula
    p = torch.sigmoid(inputs)
    ce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    if reduction == "mean":
        loss = loss.mean()
    elif reduction == "sum":
        loss = loss.sum()
    return loss


def gen_sigmoid_focal():
    r = Rng(6006)
    cases = []
    shapes = [(1, 1), (4, 3), (5, 6), (8, 12), (3, 2)]
    i = 0
    for red in ("none", "sum", "mean"):
        for alpha in (0.25, -1.0):
            for gamma in (0.0, 2.0, 5.0):
                for rep in range(3):
                    n, k = shapes[(i + rep) % len(shapes)]
                    i += 1
                    z = r.randn(n, k, scale=[1.0, 4.0, 15.0][rep])
                    t = r.rand(n, k) if rep == 1 else r.randint(2, n, k).double()
                    x = z.clone().requires_grad_(True)
                    out = sigmoid_focal_loss(x, t, alpha, gamma, red)
                    case = {"name": f"{red}_a{alpha}_g{gamma}_{rep}_{n}x{k}",
                            "options": {"reduction": red, "alpha": alpha, "gamma": gamma},
                            "shape": [n, k], "input": flat(z), "target": flat(t)}
                    cases.append(finish(case, out, x, red))
    return write("sigmoid_focal_loss", cases,
                 note="torchvision.ops.sigmoid_focal_loss formula written in torch (autograd); alpha < 0 disables alpha; "
                      "mean divides by N*K")


def gen_multi_margin():
    r = Rng(7007)
    cases = []
    shapes = [(1, 2), (3, 4), (5, 6), (8, 12), (4, 3)]
    i = 0
    for red in ("none", "sum", "mean"):
        for p in (1, 2):
            for margin in (1.0, 0.5, 2.0):
                for weighted in (False, True):
                    n, k = shapes[i % len(shapes)]
                    i += 1
                    z = r.randn(n, k, scale=1.5)
                    y = r.randint(k, n)
                    w = r.weights(k) if weighted else None
                    x = z.clone().requires_grad_(True)
                    out = F.multi_margin_loss(x, y, p=p, margin=margin, weight=w, reduction=red)
                    case = {"name": f"{red}_p{p}_m{margin}_{'w' if weighted else 'nw'}_{n}x{k}",
                            "options": {"reduction": red, "p": p, "margin": margin,
                                        "weight": None if w is None else flat(w)},
                            "shape": [n, k], "input": flat(z), "labels": y.tolist()}
                    cases.append(finish(case, out, x, red))
    return write("multi_margin_loss", cases,
                 note="row loss = sum_{j != y} w[y] max(0, margin - x_y + x_j)^p / K; mean divides by N (not by weights)")


def gen_multilabel_margin():
    r = Rng(9009)
    cases = []
    shapes = [(1, 1), (3, 5), (4, 3), (8, 12), (2, 7)]
    i = 0
    for red in ("none", "sum", "mean"):
        for kind in ("plain", "padded", "duplicates", "adversarial"):
            for rep in range(3):
                n, k = shapes[(i + rep) % len(shapes)]
                i += 1
                if kind == "adversarial":
                    # scores 1e4 apart, integer scores (hinges exactly at 0: inactive), masked classes
                    z = [r.randn(n, k, scale=1e4), f32(torch.round(r.randn(n, k, scale=2.0))), r.randn(n, k)][rep]
                    if rep == 2:
                        z[:, 0] = -math.inf
                else:
                    z = r.randn(n, k, scale=[1.0, 2.0, 0.5][rep])
                t = torch.full((n, k), -1, dtype=torch.long)
                for row in range(n):
                    m = int(torch.randint(0, k + 1, (1,), generator=r.g))
                    perm = torch.randperm(k, generator=r.g)
                    if kind == "adversarial" and rep == 2:
                        perm = perm[perm != 0]  # the masked class is never a target
                        m = min(m, len(perm))
                    t[row, :m] = perm[:m]
                    if kind == "padded" and m + 1 < k:
                        t[row, m + 1:] = torch.randint(-1, k, (k - m - 1,), generator=r.g)  # ignored after the -1
                    if kind == "duplicates" and 0 < m < k:
                        t[row, m] = t[row, 0]  # listed twice: counted twice
                x = z.clone().requires_grad_(True)
                out = F.multilabel_margin_loss(x, t, reduction=red)
                case = {"name": f"{red}_{kind}_{rep}_{n}x{k}", "options": {"reduction": red},
                        "shape": [n, k], "input": flat(z), "target": t.reshape(-1).tolist()}
                cases.append(finish(case, out, x, red))
    return write("multilabel_margin_loss", cases,
                 note="target: per row, class indices ended by -1 (entries after it ignored); "
                      "row loss = sum_{j in J} sum_{i not in J} max(0, 1 - (x_j - x_i)) / K; mean divides by N")


def gen_multilabel_soft_margin():
    r = Rng(10010)
    cases = []
    shapes = [(1, 1), (3, 4), (5, 6), (8, 12), (4, 3)]
    i = 0
    for red in ("none", "sum", "mean"):
        for weighted in (False, True):
            for rep in range(4):
                n, k = shapes[(i + rep) % len(shapes)]
                i += 1
                z = r.randn(n, k, scale=[1.0, 4.0, 30.0, 1e4][rep])
                t = r.rand(n, k) if rep == 1 else r.randint(2, n, k).double()
                w = r.weights(k) if weighted else None
                x = z.clone().requires_grad_(True)
                out = F.multilabel_soft_margin_loss(x, t, weight=w, reduction=red)
                case = {"name": f"{red}_{'w' if weighted else 'nw'}_{rep}_{n}x{k}",
                        "options": {"reduction": red, "weight": None if w is None else flat(w)},
                        "shape": [n, k], "input": flat(z), "target": flat(t)}
                cases.append(finish(case, out, x, red))
    return write("multilabel_soft_margin_loss", cases,
                 note="row loss = -(1/K) sum_c w_c [y log sigmoid(x) + (1 - y) log sigmoid(-x)]; mean divides by N")


def gen_gaussian_nll():
    r = Rng(11011)
    cases = []
    shapes = [(1, 1), (3, 4), (5, 2), (8, 6), (4, 3)]
    i = 0
    for red in ("none", "sum", "mean"):
        for per_row in (False, True):
            for full in (False, True):
                for rep in range(3):
                    n, k = shapes[(i + rep) % len(shapes)]
                    i += 1
                    eps = [1e-6, 1e-6, 1e-3][rep]
                    mu = r.randn(n, k, scale=[1.0, 3.0, 1.0][rep])
                    tgt = r.randn(n, k)
                    var = f32(r.rand(n) * 2 + 0.05) if per_row else f32(r.rand(n, k) * 2 + 0.05)
                    if rep >= 1:
                        # entries below eps: torch clamps them (in place under no_grad, so their gradient passes through)
                        flat_var = var.view(-1)
                        flat_var[0] = 0.0
                        if flat_var.numel() > 1:
                            flat_var[-1] = f32(torch.tensor(eps / 4))
                    x = mu.clone().requires_grad_(True)
                    v = var.clone().requires_grad_(True)
                    out = F.gaussian_nll_loss(x, tgt, v, full=full, eps=eps, reduction=red)
                    case = {"name": f"{red}_{'row' if per_row else 'elem'}_{'full' if full else 'nofull'}_{rep}_{n}x{k}",
                            "options": {"reduction": red, "full": full, "eps": eps},
                            "shape": [n, k], "input": flat(mu), "target": flat(tgt), "variance": flat(var)}
                    finish(case, out, x, red)
                    case["variance_grad"] = flat(v.grad)
                    cases.append(case)
    return write("gaussian_nll_loss", cases,
                 note="loss = 0.5 (log max(var, eps) + (input - target)^2 / max(var, eps)) (+ 0.5 log 2 pi if full); "
                      "var per element [N, K] or per row [N]; mean divides by N*K; torch 1.13 clamps var in place under "
                      "no_grad, so variance_grad where var < eps is the derivative at eps (straight through), not 0")


# ----------------------------------------------------------------------------------------------------------------------
# activations: output and VJP with a random upstream vector

def gen_activations():
    r = Rng(8008)
    total = 0
    specs = {
        "softmax": lambda x, o: torch.softmax(x, 1),
        "log_softmax": lambda x, o: torch.log_softmax(x, 1),
        "sigmoid": lambda x, o: torch.sigmoid(x),
        "logsigmoid": lambda x, o: F.logsigmoid(x),
        "softplus": lambda x, o: F.softplus(x, beta=o["beta"], threshold=o["threshold"]),
        "logit": lambda x, o: torch.logit(x, eps=o["eps"]),
    }
    shapes = [(1, 1), (1, 5), (3, 4), (4, 7), (8, 12), (2, 3)]
    for fname, fn in specs.items():
        cases = []
        optsets = [{}]
        if fname == "softplus":
            optsets = [{"beta": 1.0, "threshold": 20.0}, {"beta": 2.0, "threshold": 20.0}, {"beta": 0.5, "threshold": 5.0}]
        elif fname == "logit":
            optsets = [{"eps": None}, {"eps": 1e-6}]
        for o in optsets:
            for rep, (n, k) in enumerate(shapes):
                for scale in (1.0, 5.0, 40.0):
                    if fname == "logit":
                        z = f32(torch.sigmoid(r.randn(n, k, scale=scale / 4)))
                        if o["eps"] is not None and rep % 2 == 0:
                            z.view(-1)[0] = 0.0
                            if z.numel() > 1:
                                z.view(-1)[1] = 1.0
                    else:
                        z = r.randn(n, k, scale=scale)
                    up = r.randn(n, k)
                    x = z.clone().requires_grad_(True)
                    out = fn(x, o)
                    (out * up).sum().backward()
                    tag = "_".join(f"{a}{b}" for a, b in o.items())
                    cases.append({"name": f"{tag + '_' if tag else ''}{n}x{k}_s{scale}", "options": o,
                                  "shape": [n, k], "input": flat(z), "upstream": flat(up), "output": flat(out),
                                  "grad": flat(x.grad)})
            # extremes
            if fname == "logit":
                z = torch.tensor([[1e-30, 1e-7, 0.5, 1 - 2 ** -24, 0.25]])
            elif fname in ("softmax", "log_softmax"):
                z = torch.tensor([[1e4, -1e4, 0.0, 1e4 - 1.0], [-math.inf, 0.0, 1.0, -math.inf],
                                  [1e8, 1e8 + 8, 1e8 - 8, 1e8]])
            else:
                z = torch.tensor([[-1e4, -100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0, 1e4]])
            up = r.randn(*z.shape)
            x = z.clone().requires_grad_(True)
            out = fn(x, o)
            (out * up).sum().backward()
            tag = "_".join(f"{a}{b}" for a, b in o.items())
            cases.append({"name": f"{tag + '_' if tag else ''}extremes", "options": o, "shape": list(z.shape),
                          "input": flat(z), "upstream": flat(up), "output": flat(out), "grad": flat(x.grad)})
        note = {"softmax": "over dim 1", "log_softmax": "over dim 1",
                "softplus": "torch returns x where beta*x > threshold (a torch convention)",
                "logit": "eps clamps the input to [eps, 1 - eps] (gradient 0 outside); eps None: no clamp"}.get(fname)
        total += write(fname, cases, note=(note or "") + (" ; " if note else "") + "grad = VJP with 'upstream'")
    return total


# ----------------------------------------------------------------------------------------------------------------------
# linear head + cross_entropy  (our LinearCrossEntropy.Evaluate): F.linear, c * tanh(z / c), F.cross_entropy, and the
# z term s * logsumexp(z)^2 over counted tokens (mean: divided by their count, as Liger does), composed; autograd for
# h, W and b. Its own schema: hidden [N, D], weight [V, D], bias [V], labels [N], loss, z_loss, row_losses (none),
# grad_hidden, grad_weight, grad_bias.

def gen_linear_cross_entropy():
    rng = Rng(1313)
    cases = []

    def case(name, n, d, v, *, weight=False, ignore=0, smoothing=0.0, cap=0.0, z=0.0, reduction="mean", masked=0, scale=1.0):
        h = rng.randn(n, d, scale=scale).requires_grad_()
        w = rng.randn(v, d, scale=scale).requires_grad_()
        b0 = rng.randn(v, scale=0.5)
        if masked:
            b0[::masked] = -math.inf
        b = b0.clone().requires_grad_()
        y = rng.randint(v, n)
        if masked:
            y = torch.where(y % masked == 0, torch.ones_like(y), y)
        if ignore:
            y[::ignore] = -100
        cw = rng.weights(v) if weight else None
        logits = F.linear(h, w, b)
        if cap:
            logits = cap * torch.tanh(logits / cap)
        ce = F.cross_entropy(logits, y, weight=cw, ignore_index=-100, reduction=reduction, label_smoothing=smoothing)
        counted = (y != -100).to(torch.float64)
        zrow = z * torch.logsumexp(logits, 1) ** 2 * counted
        if reduction == "mean":
            zterm = zrow.sum() / counted.sum() if counted.sum() > 0 else zrow.sum() * 0
        elif reduction == "sum":
            zterm = zrow.sum()
        else:
            zterm = zrow
        out = ce + zterm
        c = {"name": name, "options": {"class_weights": flat(cw) if cw is not None else None, "label_smoothing": smoothing,
                                        "soft_cap": cap, "z_loss_scale": z, "reduction": reduction},
             "shape": [n, d, v], "hidden": flat(h), "weight": flat(w), "bias": flat(b0), "labels": y.tolist()}
        if reduction == "none":
            up = rng.randn(n)
            c["upstream"] = flat(up)
            c["row_losses"] = flat(out)
            c["loss"] = enc(out.sum())
            c["z_loss"] = enc(zrow.sum())
            (out * up).sum().backward()
        else:
            c["loss"] = enc(out)
            c["z_loss"] = enc(zterm)
            out.backward()
        c["grad_hidden"] = flat(h.grad)
        c["grad_weight"] = flat(w.grad)
        c["grad_bias"] = flat(b.grad)
        cases.append(c)

    case("plain", 6, 5, 11)
    case("weights_ignore_smoothing", 9, 4, 13, weight=True, ignore=3, smoothing=0.1)
    case("zloss_sum", 7, 6, 17, z=1e-3, reduction="sum")
    case("softcap_large_logits", 5, 8, 19, cap=30.0, scale=4.0, z=1e-4)
    case("masked_vocabulary", 8, 4, 16, masked=4)
    case("none_upstream", 6, 5, 9, weight=True, ignore=4, smoothing=0.05, z=1e-3, reduction="none")
    case("all_ignored", 4, 3, 7, ignore=1, z=1e-3)
    return write("linear_cross_entropy", cases, note="loss = F.cross_entropy(cap(F.linear(h, W, b))) + z * lse^2 (mean over counted tokens)")


def main():
    counts = {}
    if sys.argv[1:]:
        # Regenerate only the functions named, e.g. linear_cross_entropy.
        for function in sys.argv[1:]:
            counts[function] = globals()["gen_" + function]()
        return
    counts["linear_cross_entropy"] = gen_linear_cross_entropy()
    counts["cross_entropy"] = gen_cross_entropy()
    counts["binary_cross_entropy_with_logits"] = gen_bce_with_logits()
    counts["binary_cross_entropy"] = gen_bce()
    counts["nll_loss"] = gen_nll()
    counts["kl_div"] = gen_kl_div()
    counts["sigmoid_focal_loss"] = gen_sigmoid_focal()
    counts["multi_margin_loss"] = gen_multi_margin()
    counts["multilabel_margin_loss"] = gen_multilabel_margin()
    counts["multilabel_soft_margin_loss"] = gen_multilabel_soft_margin()
    counts["gaussian_nll_loss"] = gen_gaussian_nll()
    counts["activations"] = gen_activations()
    size = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"total {sum(counts.values())} cases, {size} bytes")
    assert size < 2_000_000, "golden files must stay under 2 MB"


if __name__ == "__main__":
    sys.exit(main())
