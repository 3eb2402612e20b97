#!/usr/bin/env python3
"""Fits the polynomial of SimdFloat's exp: e^r ~ 1 + r + C2 r^2 + ... + C6 r^6 on |r| <= ln2/2.

C2..C6 minimise the maximum relative error (Lawson's iteratively reweighted least squares on Chebyshev nodes), with
C0 = C1 = 1 fixed so that the last two Horner steps add exact constants. Prints the coefficients rounded to float and
the maximum relative error they leave (evaluated exactly in 50-digit arithmetic). Needs python3-mpmath.
"""
import struct

import mpmath as mp

mp.mp.dps = 50
HALF_LN2 = mp.log(2) / 2
DEGREE = 5  # coefficients C2..C6


def tail(r):
    """(e^r - 1 - r) / r^2, the part C2..C6 approximate."""
    return mp.mpf(1) / 2 if r == 0 else (mp.e ** r - 1 - r) / r ** 2


def to_float(x):
    return struct.unpack("f", struct.pack("f", float(x)))[0]


def main():
    nodes = [HALF_LN2 * mp.cos(mp.pi * (2 * i + 1) / 120) for i in range(60)]
    weights = [mp.mpf(1)] * len(nodes)
    for _ in range(60):
        a = mp.matrix(len(nodes), DEGREE)
        b = mp.matrix(len(nodes), 1)
        for i, r in enumerate(nodes):
            s = mp.sqrt(weights[i]) * r ** 2 / mp.e ** r  # relative error of e^r
            for j in range(DEGREE):
                a[i, j] = s * r ** j
            b[i] = s * tail(r)
        c = mp.lu_solve(a.T * a, a.T * b)
        errors = [abs(r ** 2 * (tail(r) - sum(c[j] * r ** j for j in range(DEGREE))) / mp.e ** r) for r in nodes]
        total = sum(w * e for w, e in zip(weights, errors))
        weights = [w * e / total for w, e in zip(weights, errors)]
    coefficients = [1.0, 1.0] + [to_float(c[j]) for j in range(DEGREE)]
    worst = mp.mpf(0)
    for i in range(4001):
        r = -HALF_LN2 + 2 * HALF_LN2 * i / 4000
        p = mp.mpf(0)
        for cf in reversed(coefficients):
            p = p * r + mp.mpf(cf)
        worst = max(worst, abs(p / mp.e ** r - 1))
    for i, cf in enumerate(coefficients):
        print(f"C{i} = {cf!r}f")
    print("max relative error with float coefficients:", mp.nstr(worst, 3))


if __name__ == "__main__":
    main()
