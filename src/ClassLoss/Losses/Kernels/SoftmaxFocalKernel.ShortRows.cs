using System.Runtime.CompilerServices;
using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>
/// The short-row path of the softmax focal loss with class-index targets (K ≤ <see cref="ShortRows.MaxClasses"/>): one
/// row per vector lane, with <see cref="ShortRows"/>' transposes and column exp pass.
/// </summary>
/// <remarks>
/// <para>Per group of rows the logit columns are gathered into a transposed block; the exponentials are the row path's
/// compensated ones (<see cref="PlainExp{TCompensated}"/> with <see cref="Yes"/>), summed per lane over all classes (<c>S</c>) and, in a second sweep
/// of the stored block, over the classes other than the label (<c>S'</c>), carried into double every
/// <see cref="ShortRows.Flush"/> columns. The transcendental functions run once per group in vectors: where the label
/// holds the maximum (<c>e_y = 1</c>), <c>l = -log p_y = log1p(S')</c> (the atanh series for <c>S' ≤ 1</c>, so a
/// confident row keeps its relative precision, else <c>log(1 + S')</c>) with <c>q = S'/S</c> and <c>p = 1/S</c> in
/// double; elsewhere <c>l = (max - z_y) + log S</c> and <c>p = exp(-l)</c>, where <c>p ≤ 1/2</c>, so <c>q = 1 - p</c>
/// does not cancel and float <c>log</c>/<c>exp</c> leave ~1e-7 relative error. The focal terms are the row path's, in
/// double, one lane at a time.</para>
/// </remarks>
internal static unsafe partial class SoftmaxFocalKernel
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // every scratch lane is written before it is read; zeroing 3 KB per block cost ~5% at 4096x10
    private static int ShortRowGroups<TV>(float* z, int* y, float* g, float* r, int start, int end, in Parameters prm, ref double sum)
        where TV : struct, IVec<TV, float>
    {
        int k = prm.K;
        int lanes = TV.Count;
        int ignore = prm.IgnoreIndex;
        float* e = stackalloc float[ShortRows.BlockFloats];
        float* maxima = stackalloc float[ShortRows.MaxLanes];
        float* labelsF = stackalloc float[ShortRows.MaxLanes];
        float* logs = stackalloc float[ShortRows.MaxLanes];
        float* exps = stackalloc float[ShortRows.MaxLanes];
        float* lane = stackalloc float[ShortRows.MaxLanes];
        float* factors = stackalloc float[ShortRows.MaxLanes];
        float* labelGradients = stackalloc float[ShortRows.MaxLanes];
        double* all = stackalloc double[ShortRows.MaxLanes];
        double* others = stackalloc double[ShortRows.MaxLanes];
        double* losses = stackalloc double[ShortRows.MaxLanes];
        int* status = stackalloc int[ShortRows.MaxLanes];
        TV zero = TV.Broadcast(0f), one = TV.Broadcast(1f), two = TV.Broadcast(2f);

        int i0 = start;
        for (; i0 <= end - lanes; i0 += lanes)
        {
            long offset = (long)i0 * k;
            TV m = ShortRows.GatherColumns<TV>(z + offset, k, e);
            TV.Store(m, maxima);
            for (int j = 0; j < lanes; j++)
            {
                int label = y[i0 + j];
                labelsF[j] = label == ignore ? -1f : label;
            }

            // Compensated e_c and S over all classes; then S' over the classes other than the label.
            ShortRows.ExpColumns<TV, PlainExp<Yes>, No>(e, null, null, k, m, 1f, 1f, 0f, all, null, null);
            ShortRows.Clear<TV>(others);
            TV lv = TV.Load(labelsF);
            TV sOthers = zero;
            for (int c = 0; c < k; c++)
            {
                sOthers = ShortRows.AddColumn(sOthers, TV.SelectEqual(lv, TV.Broadcast(c), zero, TV.Load(e + (c * lanes))), c, k, others);
            }

            // -log p_y per lane: log1p(S') where the label holds the maximum, (max - z_y) + log S elsewhere.
            for (int j = 0; j < lanes; j++)
            {
                int label = y[i0 + j];
                bool labelled = label != ignore && float.IsFinite(maxima[j]);
                bool top = labelled && z[offset + ((long)j * k) + label] == maxima[j];
                lane[j] = top ? (float)others[j] : 0f;
                logs[j] = labelled && !top ? (float)all[j] : 1f;
                exps[j] = labelled && !top ? maxima[j] - z[offset + ((long)j * k) + label] : 0f;
            }

            TV sp = TV.Load(lane);
            TV small = TV.SelectGreaterOrEqual(one, sp, one, zero); // S' ≤ 1: the atanh series
            TV series = VectorMath.Log1pFromT(TV.Div(sp, TV.Add(sp, two)));
            TV direct = VectorMath.LogOfNormal(TV.Add(one, sp));
            TV.Store(TV.SelectEqual(small, one, series, direct), lane);
            TV logS = VectorMath.LogOfNormal(TV.Load(logs));
            TV l = TV.Add(TV.Load(exps), logS);
            TV.Store(l, logs);
            TV.Store(VectorMath.ExpOfNonPositive(TV.Neg(l)), exps);

            for (int j = 0; j < lanes; j++)
            {
                int label = y[i0 + j];
                factors[j] = 0;
                losses[j] = 0;
                if (label == ignore)
                {
                    status[j] = ShortRows.LaneCleared;
                    continue;
                }

                if (!float.IsFinite(maxima[j]))
                {
                    status[j] = ShortRows.LaneSlow;
                    continue;
                }

                double alpha = prm.AlphaOf(label);
                if (alpha == 0)
                {
                    status[j] = ShortRows.LaneCleared; // the generic kernel skips a zero-weight target: loss 0, gradient 0
                    continue;
                }

                double s, q, ll, p;
                if (z[offset + ((long)j * k) + label] == maxima[j])
                {
                    s = 1 + others[j];
                    q = others[j] / s;
                    ll = lane[j];
                    p = 1 / s;
                }
                else
                {
                    s = all[j];
                    ll = logs[j];
                    p = exps[j];
                    q = 1 - p;
                }

                var (loss, total) = Focal(prm.Gamma, alpha, q, ll, p);
                if (!double.IsFinite(loss) || !double.IsFinite(total) || (g != null && !FloatRange.Fits(prm.Scale * total)))
                {
                    status[j] = ShortRows.LaneSlow;
                    continue;
                }

                status[j] = ShortRows.LaneNormal;
                losses[j] = loss;
                factors[j] = (float)(prm.Scale * total / s);
                labelGradients[j] = (float)(-prm.Scale * total * q);
            }

            if (g != null)
            {
                ShortRows.GradientColumns<TV, ScaledExp>(e, null, null, k, TV.Load(factors), default, default, default);
                ShortRows.ScatterRows<TV>(e, k, g + offset);
            }

            for (int j = 0; j < lanes; j++)
            {
                if (status[j] == ShortRows.LaneSlow)
                {
                    long at = offset + ((long)j * k);
                    losses[j] = SoftmaxFocalRows.Row(new ReadOnlySpan<float>(z + at, k), default, y[i0 + j], prm.Gamma, prm.Alpha,
                        prm.ClassAlphaSpan, prm.Scale, g == null ? default : new Span<float>(g + at, k));
                }
            }

            sum += ShortRows.FinishLanes(lanes, status, losses, labelGradients, y + i0, k, g == null ? null : g + offset, r == null ? null : r + i0);
        }

        return i0;
    }
}
