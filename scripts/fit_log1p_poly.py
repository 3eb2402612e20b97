#!/usr/bin/env python3
"""Fits the log1p of the fused BCE and sigmoid focal kernels: log(1 + e) ~ e (1 + e Q(e)) on e in [0, 1], Q of degree 7.

Q's coefficients minimise the maximum relative error (Lawson's iteratively reweighted least squares on Chebyshev nodes
of [0, 1]). Prints them rounded to float, the maximum relative error they leave evaluated exactly, and the error of
the float evaluation (Horner with one rounding per fused multiply-add, as the kernel does). Needs python3-mpmath.
"""
import struct

import mpmath as mp

mp.mp.dps = 40
COEFFICIENTS = 8  # Q0..Q7


def to_float(x):
    return struct.unpack("f", struct.pack("f", float(x)))[0]


def main():
    nodes = [(1 + mp.cos(mp.pi * (2 * i + 1) / 160)) / 2 for i in range(80)]
    weights = [mp.mpf(1)] * len(nodes)
    for _ in range(80):
        a = mp.matrix(len(nodes), COEFFICIENTS)
        b = mp.matrix(len(nodes), 1)
        for i, e in enumerate(nodes):
            exact = mp.log1p(e)
            s = mp.sqrt(weights[i]) * e * e / exact  # relative error of e (1 + e Q)
            for j in range(COEFFICIENTS):
                a[i, j] = s * e ** j
            b[i] = s * (exact / e - 1) / e
        c = mp.lu_solve(a.T * a, a.T * b)
        errors = [abs(e * (1 + e * sum(c[j] * e ** j for j in range(COEFFICIENTS))) / mp.log1p(e) - 1) for e in nodes]
        total = sum(w * err for w, err in zip(weights, errors))
        weights = [w * err / total for w, err in zip(weights, errors)]
    q = [to_float(c[j]) for j in range(COEFFICIENTS)]
    exact_worst = mp.mpf(0)
    float_worst = mp.mpf(0)
    for i in range(1, 20001):
        e = to_float(mp.mpf(i) / 20000) if i % 2 else to_float(mp.mpf(10) ** (-mp.mpf(i) / 2000))
        poly = mp.mpf(q[-1])
        for cf in reversed(q[:-1]):
            poly = to_float(poly * e + cf)
        value = to_float(to_float(poly * e + 1) * e)
        reference = mp.log1p(e)
        float_worst = max(float_worst, abs(value / reference - 1))
        exact_worst = max(exact_worst, abs(e * (1 + e * sum(mp.mpf(q[j]) * mp.mpf(e) ** j for j in range(COEFFICIENTS))) / reference - 1))
    for j, cf in enumerate(q):
        print(f"Q{j} = {cf!r}f")
    print("max relative error, float coefficients, exact evaluation:", mp.nstr(exact_worst, 3))
    print("max relative error, float evaluation:", mp.nstr(float_worst, 3))


if __name__ == "__main__":
    main()
