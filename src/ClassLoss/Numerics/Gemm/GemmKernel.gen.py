#!/usr/bin/env python3
"""Writes GemmKernel.cs: the GEMM micro-kernel with up to 8 rows x 4 vectors of C unrolled by hand.
Run from this folder: python3 GemmKernel.gen.py > GemmKernel.cs"""
HEADER = r'''using System.Runtime.CompilerServices;

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
w("    [MethodImpl(MethodImplOptions.AggressiveOptimization)]")
w("    public static void Run<TV, TMr, TNv>(int kc, float* a, nint ars, nint aps, float* b, float* c, nint ldc, bool load)")
w("        where TV : struct, IVec<TV>")
w("        where TMr : struct, IConst")
w("        where TNv : struct, IConst")
w("    {")
w("        int mr = TMr.Value;")
w("        int nv = TNv.Value;")
w("        int vw = TV.Count;")
for r in range(MR):
    w("        TV " + ", ".join(f"c{r}{v} = TV.Broadcast(0f)" for v in range(NV)) + ";")
w("        if (load)")
w("        {")
for r in range(MR):
    cond = f"mr > {r}"
    w(f"            if ({cond})")
    w("            {")
    w(f"                float* cr = c + ({r} * ldc);")
    for v in range(NV):
        if v == 0:
            w(f"                c{r}0 = TV.Load(cr);")
        else:
            w(f"                if (nv > {v}) c{r}{v} = TV.Load(cr + ({v} * vw));")
    w("            }")
    w("")
L.pop()
w("        }")
w("")
w("        nint a1 = ars, a2 = 2 * ars, a3 = 3 * ars, a4 = 4 * ars, a5 = 5 * ars, a6 = 6 * ars, a7 = 7 * ars;")
w("        int stride = nv * vw;")
w("        for (int p = 0; p < kc; p++)")
w("        {")
w("            TV b0 = TV.Load(b);")
w("            TV b1 = nv > 1 ? TV.Load(b + vw) : default;")
w("            TV b2 = nv > 2 ? TV.Load(b + (2 * vw)) : default;")
w("            TV b3 = nv > 3 ? TV.Load(b + (3 * vw)) : default;")
w("            TV x;")
for r in range(MR):
    off = "a" if r == 0 else f"a + a{r}"
    if r > 0:
        w(f"            if (mr > {r})")
        w("            {")
        ind = "                "
    else:
        ind = "            "
    w(f"{ind}x = TV.Broadcast(*({off}));")
    for v in range(NV):
        if v == 0:
            w(f"{ind}c{r}0 = TV.Fma(x, b0, c{r}0);")
        else:
            w(f"{ind}if (nv > {v}) c{r}{v} = TV.Fma(x, b{v}, c{r}{v});")
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
            w(f"            TV.Store(c{r}0, cr);")
        else:
            w(f"            if (nv > {v}) TV.Store(c{r}{v}, cr + ({v} * vw));")
    w("        }")
    w("")
L.pop()
w("    }")
w("}")
print("\n".join(L))
