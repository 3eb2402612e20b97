using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ClassLoss.Losses;
using static ClassLoss.Numerics.FusedSoftmaxCrossEntropy;
using static ClassLoss.Numerics.SimdFloat;

namespace ClassLoss.Numerics;

/// <summary>
/// The short-row path of the softmax focal loss with class-index targets (K ≤ <see cref="ShortRowMaxClasses"/>): one
/// row per vector lane, as in <see cref="FusedSoftmaxCrossEntropy"/>'s short rows.
/// </summary>
/// <remarks>
/// <para>Per group of rows the logit columns are gathered into a transposed block; the exponentials are the row path's
/// compensated ones (<c>e^d (1 + err)</c>, <c>err</c> the rounding of <c>d = z - max</c>), summed per lane over all
/// classes (<c>S</c>) and over the classes other than the label (<c>S'</c>), carried into double every
/// <see cref="ShortRowFlush"/> columns. The transcendental functions run once per group in vectors:
/// where the label holds the maximum (<c>e_y = 1</c>), <c>l = -log p_y = log1p(S')</c> (the atanh series for
/// <c>S' ≤ 1</c>, so a confident row keeps its relative precision, else <c>log(1 + S')</c>) with <c>q = S'/S</c> and
/// <c>p = 1/S</c> in double; elsewhere <c>l = (max - z_y) + log S</c> and <c>p = exp(-l)</c>, where <c>p ≤ 1/2</c>, so
/// <c>q = 1 - p</c> does not cancel and float <c>log</c>/<c>exp</c> leave ~1e-7 relative error. The focal terms
/// (<c>b = q^γ</c>, <c>c = γ p b l / q</c>, loss <c>α b l</c>, gradient <c>e_c α (b + c) s / S</c> and
/// <c>-α (b + c) q s</c> at the label) are the row path's, in double, one lane at a time.</para>
/// </remarks>
internal static unsafe partial class FusedSoftmaxFocal
{
    private static int ShortRows(float* z, int* y, float* g, float* r, int start, int end, int k, SoftmaxFocalOptions o,
        double scale, ref double sum)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            return ShortRows<V512>(z, y, g, r, start, end, k, o, scale, ref sum);
        }

        if (Vector256.IsHardwareAccelerated)
        {
            return ShortRows<V256>(z, y, g, r, start, end, k, o, scale, ref sum);
        }

        return Vector128.IsHardwareAccelerated ? ShortRows<V128>(z, y, g, r, start, end, k, o, scale, ref sum) : start;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ShortRows<TV>(float* z, int* y, float* g, float* r, int start, int end, int k, SoftmaxFocalOptions o,
        double scale, ref double sum) where TV : struct, IVec<TV>
    {
        int lanes = TV.Count;
        int ignore = o.IgnoreIndex;
        double gamma = o.Gamma;
        float* e = stackalloc float[ShortRowMaxClasses * MaxLanes];
        float* maxima = stackalloc float[MaxLanes];
        float* labelsF = stackalloc float[MaxLanes];
        float* logs = stackalloc float[MaxLanes];
        float* exps = stackalloc float[MaxLanes];
        float* lane = stackalloc float[MaxLanes];
        float* factors = stackalloc float[MaxLanes];
        float* labelGradients = stackalloc float[MaxLanes];
        double* all = stackalloc double[MaxLanes];
        double* others = stackalloc double[MaxLanes];
        double* losses = stackalloc double[MaxLanes];
        int* status = stackalloc int[MaxLanes];
        TV zero = TV.Broadcast(0f), one = TV.Broadcast(1f), two = TV.Broadcast(2f);

        int i0 = start;
        for (; i0 <= end - lanes; i0 += lanes)
        {
            long offset = (long)i0 * k;
            TV m = GatherColumns<TV>(z + offset, k, e);

            TV.Store(m, maxima);
            for (int j = 0; j < lanes; j++)
            {
                int label = y[i0 + j];
                labelsF[j] = label == ignore ? -1f : label;
                all[j] = others[j] = 0;
            }

            // Compensated e_c; S over all classes and S' over the classes other than the label.
            TV lv = TV.Load(labelsF);
            TV nm = TV.Neg(m);
            TV sAll = zero, sOthers = zero;
            for (int c = 0; c < k; c++)
            {
                TV ec = ExpDifference(TV.Load(e + c * lanes), m, nm, zero);
                TV.Store(ec, e + c * lanes);
                sAll = TV.Add(sAll, ec);
                sOthers = TV.Add(sOthers, TV.SelectEqual(lv, TV.Broadcast(c), zero, ec));
                if ((c + 1) % ShortRowFlush == 0 || c == k - 1)
                {
                    TV.AddWidened(sAll, all);
                    TV.AddWidened(sOthers, others);
                    sAll = sOthers = zero;
                }
            }

            // -log p_y per lane: log1p(S') where the label holds the maximum, (max - z_y) + log S elsewhere.
            for (int j = 0; j < lanes; j++)
            {
                int label = y[i0 + j];
                bool labelled = label != ignore && float.IsFinite(maxima[j]);
                bool top = labelled && z[offset + (long)j * k + label] == maxima[j];
                lane[j] = top ? (float)others[j] : 0f;
                logs[j] = labelled && !top ? (float)all[j] : 1f;
                exps[j] = labelled && !top ? maxima[j] - z[offset + (long)j * k + label] : 0f;
            }

            TV sp = TV.Load(lane);
            TV small = TV.SelectGreaterOrEqual(one, sp, one, zero); // S' ≤ 1: the atanh series
            TV series = FusedSigmoidBinaryCrossEntropy.Log1pFromT(TV.Div(sp, TV.Add(sp, two)));
            TV direct = TV.LogOfNormal(TV.Add(one, sp));
            TV.Store(TV.SelectEqual(small, one, series, direct), lane);
            TV logS = TV.LogOfNormal(TV.Load(logs));
            TV l = TV.Add(TV.Load(exps), logS);
            TV.Store(l, logs);
            TV.Store(TV.ExpNonPositive(TV.Neg(l)), exps);

            for (int j = 0; j < lanes; j++)
            {
                int i = i0 + j;
                int label = y[i];
                factors[j] = 0;
                losses[j] = 0;
                if (label == ignore)
                {
                    status[j] = LaneCleared;
                    continue;
                }

                if (!float.IsFinite(maxima[j]))
                {
                    status[j] = LaneSlow;
                    continue;
                }

                double alpha = o.AlphaOf(label);
                if (alpha == 0)
                {
                    status[j] = LaneCleared; // the generic kernel skips a zero-weight target: loss 0, gradient 0
                    continue;
                }

                double s, q, ll, p;
                if (z[offset + (long)j * k + label] == maxima[j])
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

                double b = gamma switch { 0.0 => 1.0, 1.0 => q, 2.0 => q * q, _ => Math.Pow(q, gamma) };
                double ratio = q == 0 ? 1.0 : ll / q;
                double cc = gamma == 0 ? 0.0 : gamma * p * b * ratio;
                double total = alpha * (b + cc);
                double loss = alpha * b * ll;
                if (!double.IsFinite(loss) || !double.IsFinite(total))
                {
                    status[j] = LaneSlow;
                    continue;
                }

                status[j] = LaneNormal;
                losses[j] = loss;
                factors[j] = (float)(scale * total / s);
                labelGradients[j] = (float)(-scale * total * q);
            }

            if (g != null)
            {
                TV a = TV.Load(factors);
                for (int c = 0; c < k; c++)
                {
                    TV.Store(TV.Mul(TV.Load(e + c * lanes), a), e + c * lanes);
                }

                ScatterRows<TV>(e, k, g + offset);
            }

            for (int j = 0; j < lanes; j++)
            {
                if (status[j] == LaneSlow)
                {
                    long at = offset + (long)j * k;
                    losses[j] = SoftmaxFocal.Row(new ReadOnlySpan<float>(z + at, k), default, y[i0 + j], k, o, scale,
                        g == null ? default : new Span<float>(g + at, k));
                }
            }

            sum += FinishLanes(lanes, status, losses, labelGradients, y + i0, k, g == null ? null : g + offset, r == null ? null : r + i0);
        }

        return i0;
    }
}
