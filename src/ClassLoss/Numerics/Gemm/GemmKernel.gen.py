#!/usr/bin/env python3
"""Writes GemmKernel.cs: the GEMM micro-kernel with up to 8 rows x 4 vectors of C unrolled by hand.
Run from this folder: python3 GemmKernel.gen.py > GemmKernel.cs"""
HEADER = r'''using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ClassLoss.Numerics;

/// <summary>The register-blocked micro-kernel of <see cref="Gemm"/>.</summary>
internal static unsafe class GemmKernel
{
    /// <summary>
    /// C[r, j] (r &lt; MR, j &lt; NR = NV·width) = fma(A[r, p], B[p, j], …) chained over p = 0 … kc−1, starting from
    /// C (<paramref name="load"/>) or 0, with the MR×NR tile of C held in vector registers throughout. A[r, p] is read at
    /// <c>a[r·ars + p·aps]</c> (row-major, column-major or packed A alike); B is a packed panel, row p at
    /// <c>b + p·NR</c>; C row r at <c>c + r·ldc</c>.
    /// </summary>
    // Rows r < TMr.Value and vectors v < TNv.Value are live; the JIT folds the rest away. (Written by GemmKernel.gen.py.)
'''
MR, NV = 8, 4
L = [HEADER.rstrip("\n")]
w = L.append


def kernel(name, constraints, T, bcast, load, fma, store, count, prologue=()):
    """One kernel: T the vector type, the others format strings of the vector operations."""
    w("    [MethodImpl(MethodImplOptions.AggressiveOptimization)]")
    w(f"    public static void {name}(int kc, float* a, nint ars, nint aps, float* b, float* c, nint ldc, bool load)")
    for line in constraints:
        w(line)
    w("        where TMr : struct, IConst")
    w("        where TNv : struct, IConst")
    w("    {")
    for line in prologue:
        w(line)
    w("        int mr = TMr.Value;")
    w("        int nv = TNv.Value;")
    w(f"        int vw = {count};")
    for r in range(MR):
        w(f"        {T} " + ", ".join(f"c{r}{v} = " + bcast.format("0f") for v in range(NV)) + ";")
    w("        if (load)")
    w("        {")
    for r in range(MR):
        cond = f"mr > {r}"
        w(f"            if ({cond})")
        w("            {")
        w(f"                float* cr = c + ({r} * ldc);")
        for v in range(NV):
            if v == 0:
                w(f"                c{r}0 = " + load.format("cr") + ";")
            else:
                w(f"                if (nv > {v}) c{r}{v} = " + load.format(f"cr + ({v} * vw)") + ";")
        w("            }")
        w("")
    L.pop()
    w("        }")
    w("")
    w("        nint a1 = ars, a2 = 2 * ars, a3 = 3 * ars, a4 = 4 * ars, a5 = 5 * ars, a6 = 6 * ars, a7 = 7 * ars;")
    w("        int stride = nv * vw;")
    w("        for (int p = 0; p < kc; p++)")
    w("        {")
    w(f"            {T} b0 = " + load.format("b") + ";")
    w(f"            {T} b1 = nv > 1 ? " + load.format("b + vw") + " : default;")
    w(f"            {T} b2 = nv > 2 ? " + load.format("b + (2 * vw)") + " : default;")
    w(f"            {T} b3 = nv > 3 ? " + load.format("b + (3 * vw)") + " : default;")
    w(f"            {T} x;")
    for r in range(MR):
        off = "a" if r == 0 else f"a + a{r}"
        if r > 0:
            w(f"            if (mr > {r})")
            w("            {")
            ind = "                "
        else:
            ind = "            "
        w(f"{ind}x = " + bcast.format(f"*({off})") + ";")
        for v in range(NV):
            if v == 0:
                w(f"{ind}c{r}0 = " + fma.format("x", "b0", f"c{r}0") + ";")
            else:
                w(f"{ind}if (nv > {v}) c{r}{v} = " + fma.format("x", f"b{v}", f"c{r}{v}") + ";")
        if r > 0:
            w("            }")
        w("")
    w("            a += aps;")
    w("            b += stride;")
    w("        }")
    w("")
    for r in range(MR):
        w(f"        if (mr > {r})")
        w("        {")
        w(f"            float* cr = c + ({r} * ldc);")
        for v in range(NV):
            if v == 0:
                w("            " + store.format(f"c{r}0", "cr") + ";")
            else:
                w(f"            if (nv > {v}) " + store.format(f"c{r}{v}", f"cr + ({v} * vw)") + ";")
        w("        }")
        w("")
    L.pop()
    w("    }")

kernel("Run<TV, TMr, TNv>", ["        where TV : struct, IVec<TV>"],
       "TV", "TV.Broadcast({0})", "TV.Load({0})", "TV.Fma({0}, {1}, {2})", "TV.Store({0}, {1})", "TV.Count",
       ["        if (typeof(TV) == typeof(V512))", "        {",
        "            // Plain Vector512 locals: through the IVec wrapper the JIT copied 10 of the 24 accumulators per step.",
        "            Run512<TMr, TNv>(kc, a, ars, aps, b, c, ldc, load);", "            return;", "        }", ""])
w("")
kernel("Run512<TMr, TNv>", [], "Vector512<float>", "Vector512.Create({0})", "Vector512.Load({0})",
       "Vector512.FusedMultiplyAdd({0}, {1}, {2})", "Vector512.Store({0}, {1})", "Vector512<float>.Count")
w("}")
print("\n".join(L))
