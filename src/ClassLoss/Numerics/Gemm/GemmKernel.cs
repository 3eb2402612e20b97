using System.Runtime.CompilerServices;
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TV, TMr, TNv>(int kc, float* a, nint ars, nint aps, float* b, float* c, nint ldc, bool load)
        where TV : struct, IVec<TV, float>
        where TMr : struct, IConst
        where TNv : struct, IConst
    {
        if (typeof(TV) == typeof(V512))
        {
            // Plain Vector512 locals: through the IVec wrapper the JIT copied 10 of the 24 accumulators per step.
            Run512<TMr, TNv>(kc, a, ars, aps, b, c, ldc, load);
            return;
        }

        int mr = TMr.Value;
        int nv = TNv.Value;
        int vw = TV.Count;
        TV c00 = TV.Broadcast(0f), c01 = TV.Broadcast(0f), c02 = TV.Broadcast(0f), c03 = TV.Broadcast(0f);
        TV c10 = TV.Broadcast(0f), c11 = TV.Broadcast(0f), c12 = TV.Broadcast(0f), c13 = TV.Broadcast(0f);
        TV c20 = TV.Broadcast(0f), c21 = TV.Broadcast(0f), c22 = TV.Broadcast(0f), c23 = TV.Broadcast(0f);
        TV c30 = TV.Broadcast(0f), c31 = TV.Broadcast(0f), c32 = TV.Broadcast(0f), c33 = TV.Broadcast(0f);
        TV c40 = TV.Broadcast(0f), c41 = TV.Broadcast(0f), c42 = TV.Broadcast(0f), c43 = TV.Broadcast(0f);
        TV c50 = TV.Broadcast(0f), c51 = TV.Broadcast(0f), c52 = TV.Broadcast(0f), c53 = TV.Broadcast(0f);
        TV c60 = TV.Broadcast(0f), c61 = TV.Broadcast(0f), c62 = TV.Broadcast(0f), c63 = TV.Broadcast(0f);
        TV c70 = TV.Broadcast(0f), c71 = TV.Broadcast(0f), c72 = TV.Broadcast(0f), c73 = TV.Broadcast(0f);
        if (load)
        {
            if (mr > 0)
            {
                float* cr = c + (0 * ldc);
                c00 = TV.Load(cr);
                if (nv > 1) c01 = TV.Load(cr + (1 * vw));
                if (nv > 2) c02 = TV.Load(cr + (2 * vw));
                if (nv > 3) c03 = TV.Load(cr + (3 * vw));
            }

            if (mr > 1)
            {
                float* cr = c + (1 * ldc);
                c10 = TV.Load(cr);
                if (nv > 1) c11 = TV.Load(cr + (1 * vw));
                if (nv > 2) c12 = TV.Load(cr + (2 * vw));
                if (nv > 3) c13 = TV.Load(cr + (3 * vw));
            }

            if (mr > 2)
            {
                float* cr = c + (2 * ldc);
                c20 = TV.Load(cr);
                if (nv > 1) c21 = TV.Load(cr + (1 * vw));
                if (nv > 2) c22 = TV.Load(cr + (2 * vw));
                if (nv > 3) c23 = TV.Load(cr + (3 * vw));
            }

            if (mr > 3)
            {
                float* cr = c + (3 * ldc);
                c30 = TV.Load(cr);
                if (nv > 1) c31 = TV.Load(cr + (1 * vw));
                if (nv > 2) c32 = TV.Load(cr + (2 * vw));
                if (nv > 3) c33 = TV.Load(cr + (3 * vw));
            }

            if (mr > 4)
            {
                float* cr = c + (4 * ldc);
                c40 = TV.Load(cr);
                if (nv > 1) c41 = TV.Load(cr + (1 * vw));
                if (nv > 2) c42 = TV.Load(cr + (2 * vw));
                if (nv > 3) c43 = TV.Load(cr + (3 * vw));
            }

            if (mr > 5)
            {
                float* cr = c + (5 * ldc);
                c50 = TV.Load(cr);
                if (nv > 1) c51 = TV.Load(cr + (1 * vw));
                if (nv > 2) c52 = TV.Load(cr + (2 * vw));
                if (nv > 3) c53 = TV.Load(cr + (3 * vw));
            }

            if (mr > 6)
            {
                float* cr = c + (6 * ldc);
                c60 = TV.Load(cr);
                if (nv > 1) c61 = TV.Load(cr + (1 * vw));
                if (nv > 2) c62 = TV.Load(cr + (2 * vw));
                if (nv > 3) c63 = TV.Load(cr + (3 * vw));
            }

            if (mr > 7)
            {
                float* cr = c + (7 * ldc);
                c70 = TV.Load(cr);
                if (nv > 1) c71 = TV.Load(cr + (1 * vw));
                if (nv > 2) c72 = TV.Load(cr + (2 * vw));
                if (nv > 3) c73 = TV.Load(cr + (3 * vw));
            }
        }

        nint a1 = ars, a2 = 2 * ars, a3 = 3 * ars, a4 = 4 * ars, a5 = 5 * ars, a6 = 6 * ars, a7 = 7 * ars;
        int stride = nv * vw;
        for (int p = 0; p < kc; p++)
        {
            TV b0 = TV.Load(b);
            TV b1 = nv > 1 ? TV.Load(b + vw) : default;
            TV b2 = nv > 2 ? TV.Load(b + (2 * vw)) : default;
            TV b3 = nv > 3 ? TV.Load(b + (3 * vw)) : default;
            TV x;
            x = TV.Broadcast(*(a));
            c00 = TV.Fma(x, b0, c00);
            if (nv > 1) c01 = TV.Fma(x, b1, c01);
            if (nv > 2) c02 = TV.Fma(x, b2, c02);
            if (nv > 3) c03 = TV.Fma(x, b3, c03);

            if (mr > 1)
            {
                x = TV.Broadcast(*(a + a1));
                c10 = TV.Fma(x, b0, c10);
                if (nv > 1) c11 = TV.Fma(x, b1, c11);
                if (nv > 2) c12 = TV.Fma(x, b2, c12);
                if (nv > 3) c13 = TV.Fma(x, b3, c13);
            }

            if (mr > 2)
            {
                x = TV.Broadcast(*(a + a2));
                c20 = TV.Fma(x, b0, c20);
                if (nv > 1) c21 = TV.Fma(x, b1, c21);
                if (nv > 2) c22 = TV.Fma(x, b2, c22);
                if (nv > 3) c23 = TV.Fma(x, b3, c23);
            }

            if (mr > 3)
            {
                x = TV.Broadcast(*(a + a3));
                c30 = TV.Fma(x, b0, c30);
                if (nv > 1) c31 = TV.Fma(x, b1, c31);
                if (nv > 2) c32 = TV.Fma(x, b2, c32);
                if (nv > 3) c33 = TV.Fma(x, b3, c33);
            }

            if (mr > 4)
            {
                x = TV.Broadcast(*(a + a4));
                c40 = TV.Fma(x, b0, c40);
                if (nv > 1) c41 = TV.Fma(x, b1, c41);
                if (nv > 2) c42 = TV.Fma(x, b2, c42);
                if (nv > 3) c43 = TV.Fma(x, b3, c43);
            }

            if (mr > 5)
            {
                x = TV.Broadcast(*(a + a5));
                c50 = TV.Fma(x, b0, c50);
                if (nv > 1) c51 = TV.Fma(x, b1, c51);
                if (nv > 2) c52 = TV.Fma(x, b2, c52);
                if (nv > 3) c53 = TV.Fma(x, b3, c53);
            }

            if (mr > 6)
            {
                x = TV.Broadcast(*(a + a6));
                c60 = TV.Fma(x, b0, c60);
                if (nv > 1) c61 = TV.Fma(x, b1, c61);
                if (nv > 2) c62 = TV.Fma(x, b2, c62);
                if (nv > 3) c63 = TV.Fma(x, b3, c63);
            }

            if (mr > 7)
            {
                x = TV.Broadcast(*(a + a7));
                c70 = TV.Fma(x, b0, c70);
                if (nv > 1) c71 = TV.Fma(x, b1, c71);
                if (nv > 2) c72 = TV.Fma(x, b2, c72);
                if (nv > 3) c73 = TV.Fma(x, b3, c73);
            }

            a += aps;
            b += stride;
        }

        if (mr > 0)
        {
            float* cr = c + (0 * ldc);
            TV.Store(c00, cr);
            if (nv > 1) TV.Store(c01, cr + (1 * vw));
            if (nv > 2) TV.Store(c02, cr + (2 * vw));
            if (nv > 3) TV.Store(c03, cr + (3 * vw));
        }

        if (mr > 1)
        {
            float* cr = c + (1 * ldc);
            TV.Store(c10, cr);
            if (nv > 1) TV.Store(c11, cr + (1 * vw));
            if (nv > 2) TV.Store(c12, cr + (2 * vw));
            if (nv > 3) TV.Store(c13, cr + (3 * vw));
        }

        if (mr > 2)
        {
            float* cr = c + (2 * ldc);
            TV.Store(c20, cr);
            if (nv > 1) TV.Store(c21, cr + (1 * vw));
            if (nv > 2) TV.Store(c22, cr + (2 * vw));
            if (nv > 3) TV.Store(c23, cr + (3 * vw));
        }

        if (mr > 3)
        {
            float* cr = c + (3 * ldc);
            TV.Store(c30, cr);
            if (nv > 1) TV.Store(c31, cr + (1 * vw));
            if (nv > 2) TV.Store(c32, cr + (2 * vw));
            if (nv > 3) TV.Store(c33, cr + (3 * vw));
        }

        if (mr > 4)
        {
            float* cr = c + (4 * ldc);
            TV.Store(c40, cr);
            if (nv > 1) TV.Store(c41, cr + (1 * vw));
            if (nv > 2) TV.Store(c42, cr + (2 * vw));
            if (nv > 3) TV.Store(c43, cr + (3 * vw));
        }

        if (mr > 5)
        {
            float* cr = c + (5 * ldc);
            TV.Store(c50, cr);
            if (nv > 1) TV.Store(c51, cr + (1 * vw));
            if (nv > 2) TV.Store(c52, cr + (2 * vw));
            if (nv > 3) TV.Store(c53, cr + (3 * vw));
        }

        if (mr > 6)
        {
            float* cr = c + (6 * ldc);
            TV.Store(c60, cr);
            if (nv > 1) TV.Store(c61, cr + (1 * vw));
            if (nv > 2) TV.Store(c62, cr + (2 * vw));
            if (nv > 3) TV.Store(c63, cr + (3 * vw));
        }

        if (mr > 7)
        {
            float* cr = c + (7 * ldc);
            TV.Store(c70, cr);
            if (nv > 1) TV.Store(c71, cr + (1 * vw));
            if (nv > 2) TV.Store(c72, cr + (2 * vw));
            if (nv > 3) TV.Store(c73, cr + (3 * vw));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run512<TMr, TNv>(int kc, float* a, nint ars, nint aps, float* b, float* c, nint ldc, bool load)
        where TMr : struct, IConst
        where TNv : struct, IConst
    {
        int mr = TMr.Value;
        int nv = TNv.Value;
        int vw = Vector512<float>.Count;
        Vector512<float> c00 = Vector512.Create(0f), c01 = Vector512.Create(0f), c02 = Vector512.Create(0f), c03 = Vector512.Create(0f);
        Vector512<float> c10 = Vector512.Create(0f), c11 = Vector512.Create(0f), c12 = Vector512.Create(0f), c13 = Vector512.Create(0f);
        Vector512<float> c20 = Vector512.Create(0f), c21 = Vector512.Create(0f), c22 = Vector512.Create(0f), c23 = Vector512.Create(0f);
        Vector512<float> c30 = Vector512.Create(0f), c31 = Vector512.Create(0f), c32 = Vector512.Create(0f), c33 = Vector512.Create(0f);
        Vector512<float> c40 = Vector512.Create(0f), c41 = Vector512.Create(0f), c42 = Vector512.Create(0f), c43 = Vector512.Create(0f);
        Vector512<float> c50 = Vector512.Create(0f), c51 = Vector512.Create(0f), c52 = Vector512.Create(0f), c53 = Vector512.Create(0f);
        Vector512<float> c60 = Vector512.Create(0f), c61 = Vector512.Create(0f), c62 = Vector512.Create(0f), c63 = Vector512.Create(0f);
        Vector512<float> c70 = Vector512.Create(0f), c71 = Vector512.Create(0f), c72 = Vector512.Create(0f), c73 = Vector512.Create(0f);
        if (load)
        {
            if (mr > 0)
            {
                float* cr = c + (0 * ldc);
                c00 = Vector512.Load(cr);
                if (nv > 1) c01 = Vector512.Load(cr + (1 * vw));
                if (nv > 2) c02 = Vector512.Load(cr + (2 * vw));
                if (nv > 3) c03 = Vector512.Load(cr + (3 * vw));
            }

            if (mr > 1)
            {
                float* cr = c + (1 * ldc);
                c10 = Vector512.Load(cr);
                if (nv > 1) c11 = Vector512.Load(cr + (1 * vw));
                if (nv > 2) c12 = Vector512.Load(cr + (2 * vw));
                if (nv > 3) c13 = Vector512.Load(cr + (3 * vw));
            }

            if (mr > 2)
            {
                float* cr = c + (2 * ldc);
                c20 = Vector512.Load(cr);
                if (nv > 1) c21 = Vector512.Load(cr + (1 * vw));
                if (nv > 2) c22 = Vector512.Load(cr + (2 * vw));
                if (nv > 3) c23 = Vector512.Load(cr + (3 * vw));
            }

            if (mr > 3)
            {
                float* cr = c + (3 * ldc);
                c30 = Vector512.Load(cr);
                if (nv > 1) c31 = Vector512.Load(cr + (1 * vw));
                if (nv > 2) c32 = Vector512.Load(cr + (2 * vw));
                if (nv > 3) c33 = Vector512.Load(cr + (3 * vw));
            }

            if (mr > 4)
            {
                float* cr = c + (4 * ldc);
                c40 = Vector512.Load(cr);
                if (nv > 1) c41 = Vector512.Load(cr + (1 * vw));
                if (nv > 2) c42 = Vector512.Load(cr + (2 * vw));
                if (nv > 3) c43 = Vector512.Load(cr + (3 * vw));
            }

            if (mr > 5)
            {
                float* cr = c + (5 * ldc);
                c50 = Vector512.Load(cr);
                if (nv > 1) c51 = Vector512.Load(cr + (1 * vw));
                if (nv > 2) c52 = Vector512.Load(cr + (2 * vw));
                if (nv > 3) c53 = Vector512.Load(cr + (3 * vw));
            }

            if (mr > 6)
            {
                float* cr = c + (6 * ldc);
                c60 = Vector512.Load(cr);
                if (nv > 1) c61 = Vector512.Load(cr + (1 * vw));
                if (nv > 2) c62 = Vector512.Load(cr + (2 * vw));
                if (nv > 3) c63 = Vector512.Load(cr + (3 * vw));
            }

            if (mr > 7)
            {
                float* cr = c + (7 * ldc);
                c70 = Vector512.Load(cr);
                if (nv > 1) c71 = Vector512.Load(cr + (1 * vw));
                if (nv > 2) c72 = Vector512.Load(cr + (2 * vw));
                if (nv > 3) c73 = Vector512.Load(cr + (3 * vw));
            }
        }

        nint a1 = ars, a2 = 2 * ars, a3 = 3 * ars, a4 = 4 * ars, a5 = 5 * ars, a6 = 6 * ars, a7 = 7 * ars;
        int stride = nv * vw;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = nv > 1 ? Vector512.Load(b + vw) : default;
            Vector512<float> b2 = nv > 2 ? Vector512.Load(b + (2 * vw)) : default;
            Vector512<float> b3 = nv > 3 ? Vector512.Load(b + (3 * vw)) : default;
            Vector512<float> x;
            x = Vector512.Create(*(a));
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            if (nv > 1) c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            if (nv > 2) c02 = Vector512.FusedMultiplyAdd(x, b2, c02);
            if (nv > 3) c03 = Vector512.FusedMultiplyAdd(x, b3, c03);

            if (mr > 1)
            {
                x = Vector512.Create(*(a + a1));
                c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
                if (nv > 1) c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
                if (nv > 2) c12 = Vector512.FusedMultiplyAdd(x, b2, c12);
                if (nv > 3) c13 = Vector512.FusedMultiplyAdd(x, b3, c13);
            }

            if (mr > 2)
            {
                x = Vector512.Create(*(a + a2));
                c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
                if (nv > 1) c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
                if (nv > 2) c22 = Vector512.FusedMultiplyAdd(x, b2, c22);
                if (nv > 3) c23 = Vector512.FusedMultiplyAdd(x, b3, c23);
            }

            if (mr > 3)
            {
                x = Vector512.Create(*(a + a3));
                c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
                if (nv > 1) c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
                if (nv > 2) c32 = Vector512.FusedMultiplyAdd(x, b2, c32);
                if (nv > 3) c33 = Vector512.FusedMultiplyAdd(x, b3, c33);
            }

            if (mr > 4)
            {
                x = Vector512.Create(*(a + a4));
                c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
                if (nv > 1) c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
                if (nv > 2) c42 = Vector512.FusedMultiplyAdd(x, b2, c42);
                if (nv > 3) c43 = Vector512.FusedMultiplyAdd(x, b3, c43);
            }

            if (mr > 5)
            {
                x = Vector512.Create(*(a + a5));
                c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
                if (nv > 1) c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
                if (nv > 2) c52 = Vector512.FusedMultiplyAdd(x, b2, c52);
                if (nv > 3) c53 = Vector512.FusedMultiplyAdd(x, b3, c53);
            }

            if (mr > 6)
            {
                x = Vector512.Create(*(a + a6));
                c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
                if (nv > 1) c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
                if (nv > 2) c62 = Vector512.FusedMultiplyAdd(x, b2, c62);
                if (nv > 3) c63 = Vector512.FusedMultiplyAdd(x, b3, c63);
            }

            if (mr > 7)
            {
                x = Vector512.Create(*(a + a7));
                c70 = Vector512.FusedMultiplyAdd(x, b0, c70);
                if (nv > 1) c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
                if (nv > 2) c72 = Vector512.FusedMultiplyAdd(x, b2, c72);
                if (nv > 3) c73 = Vector512.FusedMultiplyAdd(x, b3, c73);
            }

            a += aps;
            b += stride;
        }

        if (mr > 0)
        {
            float* cr = c + (0 * ldc);
            Vector512.Store(c00, cr);
            if (nv > 1) Vector512.Store(c01, cr + (1 * vw));
            if (nv > 2) Vector512.Store(c02, cr + (2 * vw));
            if (nv > 3) Vector512.Store(c03, cr + (3 * vw));
        }

        if (mr > 1)
        {
            float* cr = c + (1 * ldc);
            Vector512.Store(c10, cr);
            if (nv > 1) Vector512.Store(c11, cr + (1 * vw));
            if (nv > 2) Vector512.Store(c12, cr + (2 * vw));
            if (nv > 3) Vector512.Store(c13, cr + (3 * vw));
        }

        if (mr > 2)
        {
            float* cr = c + (2 * ldc);
            Vector512.Store(c20, cr);
            if (nv > 1) Vector512.Store(c21, cr + (1 * vw));
            if (nv > 2) Vector512.Store(c22, cr + (2 * vw));
            if (nv > 3) Vector512.Store(c23, cr + (3 * vw));
        }

        if (mr > 3)
        {
            float* cr = c + (3 * ldc);
            Vector512.Store(c30, cr);
            if (nv > 1) Vector512.Store(c31, cr + (1 * vw));
            if (nv > 2) Vector512.Store(c32, cr + (2 * vw));
            if (nv > 3) Vector512.Store(c33, cr + (3 * vw));
        }

        if (mr > 4)
        {
            float* cr = c + (4 * ldc);
            Vector512.Store(c40, cr);
            if (nv > 1) Vector512.Store(c41, cr + (1 * vw));
            if (nv > 2) Vector512.Store(c42, cr + (2 * vw));
            if (nv > 3) Vector512.Store(c43, cr + (3 * vw));
        }

        if (mr > 5)
        {
            float* cr = c + (5 * ldc);
            Vector512.Store(c50, cr);
            if (nv > 1) Vector512.Store(c51, cr + (1 * vw));
            if (nv > 2) Vector512.Store(c52, cr + (2 * vw));
            if (nv > 3) Vector512.Store(c53, cr + (3 * vw));
        }

        if (mr > 6)
        {
            float* cr = c + (6 * ldc);
            Vector512.Store(c60, cr);
            if (nv > 1) Vector512.Store(c61, cr + (1 * vw));
            if (nv > 2) Vector512.Store(c62, cr + (2 * vw));
            if (nv > 3) Vector512.Store(c63, cr + (3 * vw));
        }

        if (mr > 7)
        {
            float* cr = c + (7 * ldc);
            Vector512.Store(c70, cr);
            if (nv > 1) Vector512.Store(c71, cr + (1 * vw));
            if (nv > 2) Vector512.Store(c72, cr + (2 * vw));
            if (nv > 3) Vector512.Store(c73, cr + (3 * vw));
        }
    }
}
