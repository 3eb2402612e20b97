using System.Numerics;
using System.Numerics.Tensors;
using System.Reflection;
using System.Runtime.InteropServices;
using ClassLoss.Losses;
using ClassLoss.Tests.Numerics;

namespace ClassLoss.Tests.Losses;

/// <summary>
/// Issue 11 item 7, the tensor overloads: every public span entry point of ClassLoss.Losses has a twin on
/// <see cref="ReadOnlyTensorSpan{T}"/> / <see cref="TensorSpan{T}"/> that takes K from the input's last dimension and N
/// from the others, gives the span overload's value, gradient and losses bit for bit (a rank-3 input [2, 3, K] is 6
/// rows), reads and writes dense tensors in place (offset views included), and refuses non-dense tensors and wrong
/// shapes with an <see cref="ArgumentException"/> naming the argument and the shapes.
/// </summary>
public sealed class TensorOverloadTests
{
    private const int N = 6, K = 4;

    private static readonly nint[] Shape = [2, 3, K];
    private static readonly nint[] Rows = [2, 3];
    private static readonly nint[] BinaryShape = [2, 3, 1];

    /// <summary>One batch of every kind of input and target, rounded to <typeparamref name="T"/>.</summary>
    private sealed class Data<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Data()
        {
            var rng = new Random(7);
            double[] x = Enumerable.Range(0, N * K).Select(_ => (rng.NextDouble() * 6) - 3).ToArray();
            X = Cast<T>(x);
            P = Cast<T>(SoftmaxRows(x));
            LogP = Cast<T>(SoftmaxRows(x).Select(v => Math.Log(v)).ToArray());
            Soft = Cast<T>(SoftmaxRows(x.Select(v => -0.7 * v).ToArray()));
            Bits = Cast<T>(Enumerable.Range(0, N * K).Select(_ => (double)rng.Next(2)).ToArray());
            Variance = Cast<T>(Enumerable.Range(0, N * K).Select(_ => 0.1 + rng.NextDouble()).ToArray());
            Weights = Cast<T>(Enumerable.Range(0, N).Select(_ => 0.25 + rng.NextDouble()).ToArray());
            Binary = Cast<T>(Enumerable.Range(0, N).Select(_ => rng.NextDouble()).ToArray());
            Labels = Enumerable.Range(0, N).Select(_ => rng.Next(K)).ToArray();
            BinaryLabels = Enumerable.Range(0, N).Select(_ => rng.Next(2)).ToArray();
            // torch's MultiLabelMarginLoss rows: target classes, then -1.
            IndexRows = Enumerable.Range(0, N).SelectMany(i => new[] { i % K, (i + 1) % K, -1, -1 }).ToArray();
        }

        public T[] X { get; }
        public T[] P { get; }
        public T[] LogP { get; }
        public T[] Soft { get; }
        public T[] Bits { get; }
        public T[] Variance { get; }
        public T[] Weights { get; }
        public T[] Binary { get; }
        public int[] Labels { get; }
        public int[] BinaryLabels { get; }
        public int[] IndexRows { get; }
    }

    private static T[] Cast<T>(double[] values) where T : unmanaged, IFloatingPointIeee754<T> =>
        values.Select(T.CreateTruncating).ToArray();

    private static double[] SoftmaxRows(double[] x)
    {
        var p = new double[x.Length];
        for (int i = 0; i < x.Length / K; i++)
        {
            double max = x.Skip(i * K).Take(K).Max(), sum = 0;
            for (int c = 0; c < K; c++)
            {
                sum += p[(i * K) + c] = Math.Exp(x[(i * K) + c] - max);
            }

            for (int c = 0; c < K; c++)
            {
                p[(i * K) + c] /= sum;
            }
        }

        return p;
    }

    /// <summary>Every tensor overload, by the key <see cref="Key"/> gives it.</summary>
    public static TheoryData<string> Overloads() => new(OverloadKeys);

    private static readonly string[] OverloadKeys =
    [
        "SoftmaxCrossEntropy.Evaluate(int)", "SoftmaxCrossEntropy.Evaluate(T)",
        "CrossEntropyFromProbabilities.Evaluate(int)", "CrossEntropyFromProbabilities.Evaluate(T)",
        "NegativeLogLikelihood.Evaluate(int)",
        "SigmoidBinaryCrossEntropy.Evaluate(T)", "BinaryCrossEntropyFromProbabilities.Evaluate(T)",
        "SoftmaxFocal.Evaluate(int)", "SoftmaxFocal.Evaluate(T)",
        "FocalFromProbabilities.Evaluate(int)", "FocalFromProbabilities.Evaluate(T)",
        "SigmoidFocal.Evaluate(T)",
        "SoftmaxPoly1.Evaluate(int)", "SoftmaxPoly1.Evaluate(T)",
        "ZLoss.Evaluate()", "ZLoss.AddTo()",
        "KlDivergence.Evaluate(T)", "Entropy.Evaluate()", "SoftmaxEntropy.Evaluate()",
        "BrierScoreFromProbabilities.Evaluate(int)", "BrierScoreFromProbabilities.Evaluate(T)", "BrierScoreFromProbabilities.Binary(int)",
        "SoftmaxBrierScore.Evaluate(int)", "SoftmaxBrierScore.Evaluate(T)", "SigmoidBrierScore.Evaluate(T)",
        "MultiMarginHinge.Evaluate(int)", "CategoricalHinge.Evaluate(int)", "CategoricalHinge.Evaluate(T)",
        "CrammerSingerHinge.Evaluate(int)", "MultiLabelMargin.Evaluate(int)", "MultiLabelMargin.Evaluate(T)",
        "MultiLabelSoftMargin.Evaluate(T)", "SparsemaxLoss.Evaluate(int)", "BinarySparsemaxLoss.Evaluate(T)", "BinaryFocalFromProbabilities.Evaluate(T)",
        "FenchelYoung.Evaluate(int)", "FenchelYoung.Evaluate(T)", "SigmoidAsymmetricFocal.Evaluate(T)",
        "GaussianNegativeLogLikelihood.Evaluate(T, variance)", "GaussianNegativeLogLikelihood.Evaluate(T)",
        "WeightedKappa.Evaluate(int)",
    ];

    /// <summary>Runs one loss through its span overload (<paramref name="tensor"/> false: K given, flat spans) or its
    /// tensor overload (the same arrays as [2, 3, K] tensors), writing the gradient, losses and variance gradient.</summary>
    private static LossResult Call<T>(string loss, bool tensor, Data<T> d, T[] g, T[] l, T[] vg)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlyTensorSpan<T> x = new(d.X, Shape), p = new(d.P, Shape), logP = new(d.LogP, Shape), soft = new(d.Soft, Shape),
            bits = new(d.Bits, Shape), w = new(d.Weights, Rows);
        ReadOnlyTensorSpan<int> labels = new(d.Labels, Rows);
        TensorSpan<T> gt = new(g, Shape), lt = new(l, Rows);
        return loss switch
        {
            "SoftmaxCrossEntropy.Evaluate(int)" => tensor ? SoftmaxCrossEntropy.Evaluate(x, labels, null, gt, lt, w) : SoftmaxCrossEntropy.Evaluate<T>(d.X, d.Labels, K, null, g, l, d.Weights),
            "SoftmaxCrossEntropy.Evaluate(T)" => tensor ? SoftmaxCrossEntropy.Evaluate(x, soft, null, gt, lt, w) : SoftmaxCrossEntropy.Evaluate<T>(d.X, d.Soft, K, null, g, l, d.Weights),
            "CrossEntropyFromProbabilities.Evaluate(int)" => tensor ? CrossEntropyFromProbabilities.Evaluate(p, labels, null, gt, lt, w) : CrossEntropyFromProbabilities.Evaluate<T>(d.P, d.Labels, K, null, g, l, d.Weights),
            "CrossEntropyFromProbabilities.Evaluate(T)" => tensor ? CrossEntropyFromProbabilities.Evaluate(p, soft, null, gt, lt, w) : CrossEntropyFromProbabilities.Evaluate<T>(d.P, d.Soft, K, null, g, l, d.Weights),
            "NegativeLogLikelihood.Evaluate(int)" => tensor ? NegativeLogLikelihood.Evaluate(logP, labels, null, gt, lt, w) : NegativeLogLikelihood.Evaluate<T>(d.LogP, d.Labels, K, null, g, l, d.Weights),
            "SigmoidBinaryCrossEntropy.Evaluate(T)" => tensor ? SigmoidBinaryCrossEntropy.Evaluate(x, bits, null, gt, lt, w) : SigmoidBinaryCrossEntropy.Evaluate<T>(d.X, d.Bits, K, null, g, l, d.Weights),
            "BinaryCrossEntropyFromProbabilities.Evaluate(T)" => tensor ? BinaryCrossEntropyFromProbabilities.Evaluate(p, bits, null, gt, lt, w) : BinaryCrossEntropyFromProbabilities.Evaluate<T>(d.P, d.Bits, K, null, g, l, d.Weights),
            "SoftmaxFocal.Evaluate(int)" => tensor ? SoftmaxFocal.Evaluate(x, labels, null, gt, lt, w) : SoftmaxFocal.Evaluate<T>(d.X, d.Labels, K, null, g, l, d.Weights),
            "SoftmaxFocal.Evaluate(T)" => tensor ? SoftmaxFocal.Evaluate(x, soft, null, gt, lt, w) : SoftmaxFocal.Evaluate<T>(d.X, d.Soft, K, null, g, l, d.Weights),
            "FocalFromProbabilities.Evaluate(int)" => tensor ? FocalFromProbabilities.Evaluate(p, labels, null, gt, lt, w) : FocalFromProbabilities.Evaluate<T>(d.P, d.Labels, K, null, g, l, d.Weights),
            "FocalFromProbabilities.Evaluate(T)" => tensor ? FocalFromProbabilities.Evaluate(p, soft, null, gt, lt, w) : FocalFromProbabilities.Evaluate<T>(d.P, d.Soft, K, null, g, l, d.Weights),
            "SigmoidFocal.Evaluate(T)" => tensor ? SigmoidFocal.Evaluate(x, bits, null, gt, lt, w) : SigmoidFocal.Evaluate<T>(d.X, d.Bits, K, null, g, l, d.Weights),
            "SoftmaxPoly1.Evaluate(int)" => tensor ? SoftmaxPoly1.Evaluate(x, labels, null, gt, lt, w) : SoftmaxPoly1.Evaluate<T>(d.X, d.Labels, K, null, g, l, d.Weights),
            "SoftmaxPoly1.Evaluate(T)" => tensor ? SoftmaxPoly1.Evaluate(x, soft, null, gt, lt, w) : SoftmaxPoly1.Evaluate<T>(d.X, d.Soft, K, null, g, l, d.Weights),
            "ZLoss.Evaluate()" => tensor ? ZLoss.Evaluate(x, null, gt, lt, w) : ZLoss.Evaluate<T>(d.X, K, null, g, l, d.Weights),
            "ZLoss.AddTo()" => tensor ? ZLoss.AddTo(x, null, gt, lt) : ZLoss.AddTo<T>(d.X, K, null, g, l),
            "KlDivergence.Evaluate(T)" => tensor ? KlDivergence.Evaluate(logP, soft, null, gt, lt, w) : KlDivergence.Evaluate<T>(d.LogP, d.Soft, K, null, g, l, d.Weights),
            "Entropy.Evaluate()" => tensor ? Entropy.Evaluate(p, null, default, lt) : Entropy.Evaluate<T>(d.P, K, null, default, l),
            "SoftmaxEntropy.Evaluate()" => tensor ? SoftmaxEntropy.Evaluate(x, null, gt, lt) : SoftmaxEntropy.Evaluate<T>(d.X, K, null, g, l),
            "BrierScoreFromProbabilities.Evaluate(int)" => tensor ? BrierScoreFromProbabilities.Evaluate(p, labels, null, gt, lt, w) : BrierScoreFromProbabilities.Evaluate<T>(d.P, d.Labels, K, null, g, l, d.Weights),
            "BrierScoreFromProbabilities.Evaluate(T)" => tensor ? BrierScoreFromProbabilities.Evaluate(p, soft, null, gt, lt, w) : BrierScoreFromProbabilities.Evaluate<T>(d.P, d.Soft, K, null, g, l, d.Weights),
            "BrierScoreFromProbabilities.Binary(int)" => tensor
                ? BrierScoreFromProbabilities.Binary(new ReadOnlyTensorSpan<T>(d.Binary, BinaryShape), new ReadOnlyTensorSpan<int>(d.BinaryLabels, Rows), 1, null,
                    new TensorSpan<T>(g, 0, BinaryShape, []), lt, w)
                : BrierScoreFromProbabilities.Binary<T>(d.Binary, d.BinaryLabels, 1, null, g.AsSpan(0, N), l, d.Weights),
            "SoftmaxBrierScore.Evaluate(int)" => tensor ? SoftmaxBrierScore.Evaluate(x, labels, null, gt, lt, w) : SoftmaxBrierScore.Evaluate<T>(d.X, d.Labels, K, null, g, l, d.Weights),
            "SoftmaxBrierScore.Evaluate(T)" => tensor ? SoftmaxBrierScore.Evaluate(x, soft, null, gt, lt, w) : SoftmaxBrierScore.Evaluate<T>(d.X, d.Soft, K, null, g, l, d.Weights),
            "SigmoidBrierScore.Evaluate(T)" => tensor ? SigmoidBrierScore.Evaluate(x, bits, null, gt, lt, w) : SigmoidBrierScore.Evaluate<T>(d.X, d.Bits, K, null, g, l, d.Weights),
            "MultiMarginHinge.Evaluate(int)" => tensor ? MultiMarginHinge.Evaluate(x, labels, null, gt, lt, w) : MultiMarginHinge.Evaluate<T>(d.X, d.Labels, K, null, g, l, d.Weights),
            "CategoricalHinge.Evaluate(int)" => tensor ? CategoricalHinge.Evaluate(x, labels, null, gt, lt, w) : CategoricalHinge.Evaluate<T>(d.X, d.Labels, K, null, g, l, d.Weights),
            "CategoricalHinge.Evaluate(T)" => tensor ? CategoricalHinge.Evaluate(x, soft, null, gt, lt, w) : CategoricalHinge.Evaluate<T>(d.X, d.Soft, K, null, g, l, d.Weights),
            "CrammerSingerHinge.Evaluate(int)" => tensor ? CrammerSingerHinge.Evaluate(x, labels, null, gt, lt, w) : CrammerSingerHinge.Evaluate<T>(d.X, d.Labels, K, null, g, l, d.Weights),
            "MultiLabelMargin.Evaluate(int)" => tensor
                ? MultiLabelMargin.Evaluate(x, new ReadOnlyTensorSpan<int>(d.IndexRows, Shape), null, gt, lt, w)
                : MultiLabelMargin.Evaluate<T>(d.X, d.IndexRows, K, null, g, l, d.Weights),
            "MultiLabelMargin.Evaluate(T)" => tensor ? MultiLabelMargin.Evaluate(x, bits, null, gt, lt, w) : MultiLabelMargin.Evaluate<T>(d.X, d.Bits, K, null, g, l, d.Weights),
            "MultiLabelSoftMargin.Evaluate(T)" => tensor ? MultiLabelSoftMargin.Evaluate(x, bits, null, gt, lt, w) : MultiLabelSoftMargin.Evaluate<T>(d.X, d.Bits, K, null, g, l, d.Weights),
            "SparsemaxLoss.Evaluate(int)" => tensor ? SparsemaxLoss.Evaluate(x, labels, null, gt, lt, w) : SparsemaxLoss.Evaluate<T>(d.X, d.Labels, K, null, g, l, d.Weights),
            "BinaryFocalFromProbabilities.Evaluate(T)" => tensor
                ? BinaryFocalFromProbabilities.Evaluate(p, bits, null, gt, lt, w)
                : BinaryFocalFromProbabilities.Evaluate<T>(d.P, d.Bits, K, null, g, l, d.Weights),
            "BinarySparsemaxLoss.Evaluate(T)" => tensor ? BinarySparsemaxLoss.Evaluate(x, bits, null, gt, lt, w) : BinarySparsemaxLoss.Evaluate<T>(d.X, d.Bits, K, null, g, l, d.Weights),
            "FenchelYoung.Evaluate(int)" => tensor ? FenchelYoung.Evaluate(x, labels, null, gt, lt, w) : FenchelYoung.Evaluate<T>(d.X, d.Labels, K, null, g, l, d.Weights),
            "FenchelYoung.Evaluate(T)" => tensor ? FenchelYoung.Evaluate(x, soft, null, gt, lt, w) : FenchelYoung.Evaluate<T>(d.X, d.Soft, K, null, g, l, d.Weights),
            "SigmoidAsymmetricFocal.Evaluate(T)" => tensor ? SigmoidAsymmetricFocal.Evaluate(x, bits, null, gt, lt, w) : SigmoidAsymmetricFocal.Evaluate<T>(d.X, d.Bits, K, null, g, l, d.Weights),
            "GaussianNegativeLogLikelihood.Evaluate(T, variance)" => tensor
                ? GaussianNegativeLogLikelihood.Evaluate(x, soft, new ReadOnlyTensorSpan<T>(d.Variance, Shape), null, gt, new TensorSpan<T>(vg, Shape), lt, w)
                : GaussianNegativeLogLikelihood.Evaluate<T>(d.X, d.Soft, d.Variance, K, null, g, vg, l, d.Weights),
            "GaussianNegativeLogLikelihood.Evaluate(T)" => tensor ? GaussianNegativeLogLikelihood.Evaluate(x, soft, null, gt, lt, w) : GaussianNegativeLogLikelihood.Evaluate<T>(d.X, d.Soft, K, null, g, l, d.Weights),
            "WeightedKappa.Evaluate(int)" => tensor ? WeightedKappa.Evaluate(p, labels, null, gt) : WeightedKappa.Evaluate<T>(d.P, d.Labels, K, null, g, default),
            _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, "no such case"),
        };
    }

    private static void AssertSameBits<T>(T[] expected, T[] actual, string what) where T : unmanaged
    {
        Assert.True(MemoryMarshal.AsBytes(expected.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(actual.AsSpan())),
            $"{what}: [{string.Join(", ", expected)}] vs [{string.Join(", ", actual)}]");
    }

    private static void SameAsSpan<T>(string loss) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = new Data<T>();
        T[] g1 = new T[N * K], l1 = new T[N], v1 = new T[N * K], g2 = new T[N * K], l2 = new T[N], v2 = new T[N * K];
        var span = Call(loss, tensor: false, d, g1, l1, v1);
        var viaTensor = Call(loss, tensor: true, d, g2, l2, v2);
        Assert.Equal(BitConverter.DoubleToInt64Bits(span.Value), BitConverter.DoubleToInt64Bits(viaTensor.Value));
        Assert.Equal(BitConverter.DoubleToInt64Bits(span.Sum), BitConverter.DoubleToInt64Bits(viaTensor.Sum));
        Assert.Equal(span.Denominator, viaTensor.Denominator);
        Assert.True(double.IsFinite(span.Value), $"{loss}: {span.Value}");
        Assert.True(g1.Concat(l1).Any(v => v != T.Zero), $"{loss} wrote nothing");
        AssertSameBits(g1, g2, "gradient");
        AssertSameBits(l1, l2, "losses");
        AssertSameBits(v1, v2, "variance gradient");
    }

    [Theory]
    [MemberData(nameof(Overloads))]
    public void TensorOverload_OfARank3Input_IsTheSpanOverloadOnItsRows_BitForBit(string loss)
    {
        SameAsSpan<float>(loss);
        SameAsSpan<double>(loss);
    }

    /// <summary>The case key of a tensor overload: type, method, and the targets' element type (and a variance).</summary>
    private static string Key(MethodInfo m)
    {
        var p = m.GetParameters();
        var targets = p.FirstOrDefault(q => q.Name == "targets");
        string kind = targets is null ? "" : targets.ParameterType.GetGenericArguments()[0] == typeof(int) ? "int" : "T";
        return $"{m.DeclaringType!.Name}.{m.Name}({kind}{(p.Any(q => q.Name == "variance") ? ", variance" : "")})";
    }

    private static bool IsTensor(Type t) => t.IsGenericType && (t.GetGenericTypeDefinition() == typeof(ReadOnlyTensorSpan<>) || t.GetGenericTypeDefinition() == typeof(TensorSpan<>));

    private static List<MethodInfo> PublicEntryPoints() =>
        typeof(SoftmaxCrossEntropy).Assembly.GetTypes()
            .Where(t => t.IsPublic && t.Namespace == "ClassLoss.Losses" && t.IsAbstract && t.IsSealed)
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => m.ReturnType == typeof(LossResult) && m.GetParameters().Length > 0)
            .ToList();

    /// <summary>The span type a tensor parameter stands for (<c>ReadOnlyTensorSpan&lt;X&gt;</c> → <c>ReadOnlySpan&lt;X&gt;</c>).</summary>
    private static Type SpanOf(Type t)
    {
        if (!IsTensor(t))
        {
            return t;
        }

        var arg = t.GetGenericArguments()[0];
        return (t.GetGenericTypeDefinition() == typeof(TensorSpan<>) ? typeof(Span<>) : typeof(ReadOnlySpan<>)).MakeGenericType(arg);
    }

    [Fact]
    public void EveryPublicSpanEntryPoint_HasATensorTwin_WithTheSameArgumentsButClasses()
    {
        var methods = PublicEntryPoints();
        var spans = methods.Where(m => m.GetParameters()[0].ParameterType.GetGenericTypeDefinition() == typeof(ReadOnlySpan<>)).ToList();
        var tensors = methods.Where(m => IsTensor(m.GetParameters()[0].ParameterType)).ToList();
        Assert.True(spans.Count >= 40, $"found {spans.Count} span entry points");
        Assert.Equal(spans.Count + tensors.Count, methods.Count);

        var nullability = new NullabilityInfoContext();
        foreach (var span in spans)
        {
            var expected = span.GetParameters().Where(p => p.Name != "classes").ToArray();
            var twin = tensors.SingleOrDefault(t => t.DeclaringType == span.DeclaringType && t.Name == span.Name
                && t.GetParameters().Select(p => (p.Name, Type: SpanOf(p.ParameterType).ToString()))
                    .SequenceEqual(expected.Select(p => (p.Name, Type: p.ParameterType.ToString()))));
            string where = $"{span.DeclaringType!.Name}.{span.Name}({string.Join(", ", span.GetParameters().Select(p => p.Name))})";
            Assert.True(twin is not null, $"{where} has no tensor twin");

            // The options are required and nullable exactly as on the span overload; everything after them is optional.
            var parameters = twin!.GetParameters();
            int options = Array.FindIndex(parameters, p => p.Name == "options");
            var spanOptions = span.GetParameters().Single(p => p.Name == "options");
            Assert.False(parameters[options].HasDefaultValue, where);
            Assert.Equal(nullability.Create(spanOptions).ReadState, nullability.Create(parameters[options]).ReadState);
            Assert.All(parameters.Skip(options + 1), p => Assert.True(p.HasDefaultValue, $"{where}: {p.Name} has no default"));
            Assert.All(parameters.Take(options), p => Assert.False(p.HasDefaultValue, $"{where}: {p.Name}"));
        }

        // Every tensor overload is a twin of one span overload and has a case in the bit-for-bit test.
        Assert.Equal(spans.Count, tensors.Count);
        Assert.Equal(OverloadKeys.Order(), tensors.Select(Key).Order());
    }

    [Fact]
    public void DenseTensors_AreViewsOfTheCallersMemory_GradientAndLossesWrittenInPlace_OffsetsIncluded()
    {
        var d = new Data<float>();
        var g = new float[N * K];
        var losses = new float[N];
        var r = SoftmaxCrossEntropy.Evaluate<float>(d.X, d.Labels, K, new SoftmaxCrossEntropyOptions { Reduction = Reduction.Sum }, g, losses);

        // Every argument a view that starts 5 elements into a larger array, with sentinels around it.
        const int at = 5;
        const float sentinel = -12345f;
        float[] Padded(float[] values)
        {
            var a = Enumerable.Repeat(sentinel, values.Length + (2 * at)).ToArray();
            values.CopyTo(a, at);
            return a;
        }

        float[] x = Padded(d.X), gradient = Padded(new float[N * K]), rowLosses = Padded(new float[N]);
        int[] labels = [.. Enumerable.Repeat(-7, at), .. d.Labels, .. Enumerable.Repeat(-7, at)];
        var t = SoftmaxCrossEntropy.Evaluate(new ReadOnlyTensorSpan<float>(x, at, Shape, []), new ReadOnlyTensorSpan<int>(labels, at, Rows, []),
            new SoftmaxCrossEntropyOptions { Reduction = Reduction.Sum }, new TensorSpan<float>(gradient, at, Shape, []), new TensorSpan<float>(rowLosses, at, Rows, []));

        Assert.Equal(r.Value, t.Value);
        Assert.Equal(g, gradient.AsSpan(at, N * K).ToArray());
        Assert.Equal(losses, rowLosses.AsSpan(at, N).ToArray());
        Assert.All(gradient.Take(at).Concat(gradient.Skip(at + (N * K))), v => Assert.Equal(sentinel, v));
        Assert.All(rowLosses.Take(at).Concat(rowLosses.Skip(at + N)), v => Assert.Equal(sentinel, v));

        // A Tensor<T> over the caller's array is written through as well (no staging copy).
        var own = new float[N * K];
        var tensor = Tensor.Create(own, Shape);
        SoftmaxCrossEntropy.Evaluate(new ReadOnlyTensorSpan<float>(d.X, Shape), new ReadOnlyTensorSpan<int>(d.Labels, Rows),
            new SoftmaxCrossEntropyOptions { Reduction = Reduction.Sum }, tensor.AsTensorSpan());
        Assert.Equal(g, own);
    }

    [Fact]
    public void DenseTensorCalls_AllocateNothing_OnTheFusedPath()
    {
        var d = new Data<float>();
        var g = new float[N * K];
        var o = new SoftmaxCrossEntropyOptions();
        Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() => SoftmaxCrossEntropy.Evaluate(new ReadOnlyTensorSpan<float>(d.X, Shape),
            new ReadOnlyTensorSpan<int>(d.Labels, Rows), o, new TensorSpan<float>(g, Shape))));
        Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() => SigmoidBinaryCrossEntropy.Evaluate(new ReadOnlyTensorSpan<float>(d.X, Shape),
            new ReadOnlyTensorSpan<float>(d.Bits, Shape), null, new TensorSpan<float>(g, Shape))));
    }

    [Fact]
    public void LengthOneDimensions_AreDenseWhateverTheirStride()
    {
        // System.Numerics.Tensors gives a dimension of length 1 the stride 0: [6, 1] has strides [1, 0], and
        // [2, 1, 3, K] has [3K, 0, K, 1]. Both are dense.
        var d = new Data<double>();
        var x1 = new ReadOnlyTensorSpan<double>(d.X, 0, [N * K, 1], []);
        Assert.Equal(0, x1.Strides[1]);
        var g = new double[N * K];
        var r = SigmoidBinaryCrossEntropy.Evaluate(x1, new ReadOnlyTensorSpan<double>(d.Bits, [N * K, 1]), null, new TensorSpan<double>(g, [N * K, 1]));
        var g0 = new double[N * K];
        var r0 = SigmoidBinaryCrossEntropy.Evaluate<double>(d.X, d.Bits, 1, null, g0, default);
        Assert.Equal(r0.Value, r.Value);
        Assert.Equal(g0, g);

        var x4 = new ReadOnlyTensorSpan<double>(d.X, [2, 1, 3, K]);
        Assert.Equal(0, x4.Strides[1]);
        var r4 = SoftmaxCrossEntropy.Evaluate(x4, new ReadOnlyTensorSpan<int>(d.Labels, [2, 1, 3]), null, new TensorSpan<double>(g, [2, 1, 3, K]));
        Assert.Equal(SoftmaxCrossEntropy.Evaluate<double>(d.X, d.Labels, K, null, g0, default).Value, r4.Value);
        Assert.Equal(g0, g);
    }

    [Fact]
    public void ARank1Input_IsNRowsOfOneElement_ForAnElementwiseLoss_AndAnErrorNamingInputForARowwiseOne()
    {
        var d = new Data<double>();
        double[] g = new double[N * K], l = new double[N * K], g0 = new double[N * K], l0 = new double[N * K];
        var r = SigmoidFocal.Evaluate(new ReadOnlyTensorSpan<double>(d.X), new ReadOnlyTensorSpan<double>(d.Bits), null,
            new TensorSpan<double>(g), new TensorSpan<double>(l));
        var r0 = SigmoidFocal.Evaluate<double>(d.X, d.Bits, 1, null, g0, l0);
        Assert.Equal(r0.Value, r.Value);
        Assert.Equal(N * K, r.Denominator);
        Assert.Equal(g0, g);
        Assert.Equal(l0, l);

        var e = Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate(new ReadOnlyTensorSpan<double>(d.X), new ReadOnlyTensorSpan<int>(d.Labels), null));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("input has shape [24]; expected [..., K] (rank >= 2, K classes in the last dimension)", e.Message, StringComparison.Ordinal);
        Assert.Contains("[1, 24]", e.Message, StringComparison.Ordinal);

        var empty = Assert.Throws<ArgumentException>(() => ZLoss.Evaluate(default(ReadOnlyTensorSpan<double>), null));
        Assert.Equal("input", empty.ParamName);
        Assert.Contains("rank 0", empty.Message, StringComparison.Ordinal);

        var binary = Assert.Throws<ArgumentException>(() => BrierScoreFromProbabilities.Binary(new ReadOnlyTensorSpan<double>(d.P, Shape),
            new ReadOnlyTensorSpan<int>(d.Labels, Rows), 1, null));
        Assert.Equal("input", binary.ParamName);
        Assert.Contains("input has shape [2, 3, 4]; expected [N] or [..., 1]", binary.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ElementwiseLosses_TakePerElementLossesWeightsAndUpstreamGradients_OfTheInputsShape()
    {
        var d = new Data<double>();
        var rng = new Random(3);
        double[] sw = Enumerable.Range(0, N * K).Select(_ => rng.NextDouble()).ToArray(), up = Enumerable.Range(0, N * K).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var o = new SigmoidBinaryCrossEntropyOptions { Reduction = Reduction.None };
        double[] g = new double[N * K], l = new double[N * K], g0 = new double[N * K], l0 = new double[N * K];
        var r = SigmoidBinaryCrossEntropy.Evaluate(new ReadOnlyTensorSpan<double>(d.X, Shape), new ReadOnlyTensorSpan<double>(d.Bits, Shape), o,
            new TensorSpan<double>(g, Shape), new TensorSpan<double>(l, Shape), new ReadOnlyTensorSpan<double>(sw, Shape), new ReadOnlyTensorSpan<double>(up, Shape));
        var r0 = SigmoidBinaryCrossEntropy.Evaluate<double>(d.X, d.Bits, K, o, g0, l0, sw, up);
        Assert.Equal(r0.Sum, r.Sum);
        Assert.Equal(g0, g);
        Assert.Equal(l0, l);

        // A row-wise loss: per-row losses, weights and upstream gradient only.
        var ce = new SoftmaxCrossEntropyOptions { Reduction = Reduction.None };
        double[] rows = new double[N], rows0 = new double[N];
        SoftmaxCrossEntropy.Evaluate(new ReadOnlyTensorSpan<double>(d.X, Shape), new ReadOnlyTensorSpan<int>(d.Labels, Rows), ce,
            new TensorSpan<double>(g, Shape), new TensorSpan<double>(rows, Rows), gradOutput: new ReadOnlyTensorSpan<double>(up, 0, Rows, []));
        SoftmaxCrossEntropy.Evaluate<double>(d.X, d.Labels, K, ce, g0, rows0, gradOutput: up.AsSpan(0, N));
        Assert.Equal(g0, g);
        Assert.Equal(rows0, rows);
        var e = Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate(new ReadOnlyTensorSpan<double>(d.X, Shape),
            new ReadOnlyTensorSpan<int>(d.Labels, Rows), ce, losses: new TensorSpan<double>(l, Shape)));
        Assert.Equal("losses", e.ParamName);
        Assert.Equal("losses has shape [2, 3, 4]; expected [2, 3] (one loss per row of input [2, 3, 4]), or an empty tensor to skip it. (Parameter 'losses')", e.Message);
    }

    /// <summary>Layouts that are not dense, for <see cref="StridesOf"/>.</summary>
    public static TheoryData<string> Layouts() => ["transposed", "strided", "broadcast"];

    /// <summary>The strides of a view of <paramref name="lengths"/> that is not dense: transposed (column-major), a
    /// strided slice (every other element of the last dimension), or broadcast (stride 0 on the first dimension).</summary>
    private static nint[] StridesOf(string layout, nint[] lengths)
    {
        var strides = new nint[lengths.Length];
        nint step = 1;
        if (layout == "transposed")
        {
            for (int dim = 0; dim < lengths.Length; dim++)
            {
                strides[dim] = step;
                step *= lengths[dim];
            }

            return strides;
        }

        for (int dim = lengths.Length - 1; dim >= 0; dim--)
        {
            strides[dim] = layout == "strided" && dim == lengths.Length - 1 ? 2 : step;
            step *= lengths[dim] * (layout == "strided" && dim == lengths.Length - 1 ? 2 : 1);
        }

        if (layout == "broadcast")
        {
            strides[0] = 0;
        }

        return strides;
    }

    private static string Brackets(nint[] values) => "[" + string.Join(", ", values) + "]";

    [Theory]
    [MemberData(nameof(Layouts))]
    public void ANonDenseTensor_IsAnErrorNamingTheArgumentItsStridesAndLengths(string layout)
    {
        var d = new Data<float>();
        var big = new float[4 * N * K];
        var bigInts = new int[4 * N * K];
        d.X.CopyTo(big, 0);
        nint[] s3 = StridesOf(layout, Shape), s2 = StridesOf(layout, Rows);
        string tail = $"is not dense (strides {Brackets(s3)} for lengths [2, 3, 4]; dense is [12, 4, 1]); pass a contiguous tensor or copy it.";

        void Expect(string name, string message, Action call)
        {
            var e = Assert.Throws<ArgumentException>(call);
            Assert.Equal(name, e.ParamName);
            Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
        }

        Expect("input", "input " + tail, () => SoftmaxCrossEntropy.Evaluate(new ReadOnlyTensorSpan<float>(big, 0, Shape, s3), new ReadOnlyTensorSpan<int>(d.Labels, Rows), null));
        Expect("gradient", "gradient " + tail, () => SoftmaxCrossEntropy.Evaluate(new ReadOnlyTensorSpan<float>(d.X, Shape), new ReadOnlyTensorSpan<int>(d.Labels, Rows), null,
            new TensorSpan<float>(big, 0, Shape, s3)));
        Expect("targets", $"targets is not dense (strides {Brackets(s2)} for lengths [2, 3]; dense is [3, 1])", () => SoftmaxCrossEntropy.Evaluate(
            new ReadOnlyTensorSpan<float>(d.X, Shape), new ReadOnlyTensorSpan<int>(bigInts, 0, Rows, s2), null));
        Expect("targets", "targets " + tail, () => SoftmaxCrossEntropy.Evaluate(new ReadOnlyTensorSpan<float>(d.X, Shape), new ReadOnlyTensorSpan<float>(big, 0, Shape, s3), null));
        Expect("losses", $"losses is not dense (strides {Brackets(s2)} for lengths [2, 3]", () => SoftmaxCrossEntropy.Evaluate(new ReadOnlyTensorSpan<float>(d.X, Shape),
            new ReadOnlyTensorSpan<int>(d.Labels, Rows), null, default, new TensorSpan<float>(big, 0, Rows, s2)));
        Expect("losses", "losses " + tail, () => SigmoidFocal.Evaluate(new ReadOnlyTensorSpan<float>(d.X, Shape), new ReadOnlyTensorSpan<float>(d.Bits, Shape), null,
            default, new TensorSpan<float>(big, 0, Shape, s3)));
        Expect("sampleWeights", "sampleWeights is not dense", () => SoftmaxCrossEntropy.Evaluate(new ReadOnlyTensorSpan<float>(d.X, Shape),
            new ReadOnlyTensorSpan<int>(d.Labels, Rows), null, sampleWeights: new ReadOnlyTensorSpan<float>(big, 0, Rows, s2)));
        Expect("gradOutput", "gradOutput is not dense", () => SoftmaxCrossEntropy.Evaluate(new ReadOnlyTensorSpan<float>(d.X, Shape),
            new ReadOnlyTensorSpan<int>(d.Labels, Rows), new SoftmaxCrossEntropyOptions { Reduction = Reduction.None }, gradOutput: new ReadOnlyTensorSpan<float>(big, 0, Rows, s2)));
        Expect("variance", "variance is not dense", () => GaussianNegativeLogLikelihood.Evaluate(new ReadOnlyTensorSpan<float>(d.X, Shape),
            new ReadOnlyTensorSpan<float>(d.Soft, Shape), new ReadOnlyTensorSpan<float>(big, 0, Shape, s3), null));
        Expect("varianceGradient", "varianceGradient is not dense", () => GaussianNegativeLogLikelihood.Evaluate(new ReadOnlyTensorSpan<float>(d.X, Shape),
            new ReadOnlyTensorSpan<float>(d.Soft, Shape), new ReadOnlyTensorSpan<float>(d.Variance, Shape), null, default, new TensorSpan<float>(big, 0, Shape, s3)));
    }

    [Fact]
    public void TheTensorLibrarysOwnViews_TransposedAndSliced_AreRefused()
    {
        var data = Enumerable.Range(0, N * K).Select(i => (float)i).ToArray();
        var transposed = Tensor.PermuteDimensions(Tensor.Create(data, [2, K, 3]), [0, 2, 1]);
        Assert.Equal(Shape, transposed.Lengths.ToArray());
        Assert.False(transposed.IsDense);
        var e = Assert.Throws<ArgumentException>(() => SoftmaxEntropy.Evaluate(transposed.AsReadOnlyTensorSpan(), null));
        Assert.Equal("input", e.ParamName);
        Assert.Equal("input is not dense (strides [12, 1, 3] for lengths [2, 3, 4]; dense is [12, 4, 1]); pass a contiguous tensor or copy it. (Parameter 'input')", e.Message);

        var wide = new float[N * 2 * K];
        var sliced = Assert.Throws<ArgumentException>(() => ZLoss.Evaluate(new ReadOnlyTensorSpan<float>(wide, [2, 3, 2 * K])
            .Slice([System.Buffers.NRange.All, System.Buffers.NRange.All, new System.Buffers.NRange(0, K)]), null));
        Assert.Contains("input is not dense (strides [24, 8, 1] for lengths [2, 3, 4]", sliced.Message, StringComparison.Ordinal);

        // Rows sliced off the front of a dense tensor stay dense: they are an offset view and work.
        var rows = new ReadOnlyTensorSpan<float>(data, [N, K]).Slice([new System.Buffers.NRange(2, 5), System.Buffers.NRange.All]);
        Assert.Equal(ZLoss.Evaluate<float>(data.AsSpan(2 * K, 3 * K), K, null, default, default).Value, ZLoss.Evaluate(rows, null).Value);
    }

    [Fact]
    public void AWrongShape_IsAnErrorNamingTheArgumentAndBothShapes()
    {
        var d = new Data<double>();
        var x = new double[N * 10];
        var g = new double[N * 10];
        void Expect(string name, string message, Action call)
        {
            var e = Assert.Throws<ArgumentException>(call);
            Assert.Equal(name, e.ParamName);
            Assert.Equal(message + $" (Parameter '{name}')", e.Message);
        }

        nint[] input = [4, 10];
        Expect("targets", "targets has shape [4, 3]; expected [4] (one class index per row of input [4, 10]).",
            () => SoftmaxCrossEntropy.Evaluate(new ReadOnlyTensorSpan<double>(x, input), new ReadOnlyTensorSpan<int>(new int[12], [4, 3]), null));
        Expect("targets", "targets has shape [6]; expected [2, 3] (one class index per row of input [2, 3, 4]).",
            () => SoftmaxFocal.Evaluate(new ReadOnlyTensorSpan<double>(d.X, Shape), new ReadOnlyTensorSpan<int>(d.Labels), null));
        Expect("targets", "targets has shape [6, 4]; expected [2, 3, 4] (the shape of input [2, 3, 4]).",
            () => SoftmaxCrossEntropy.Evaluate(new ReadOnlyTensorSpan<double>(d.X, Shape), new ReadOnlyTensorSpan<double>(d.Soft, [N, K]), null));
        Expect("gradient", "gradient has shape [10, 4]; expected [4, 10] (the shape of input [4, 10]), or an empty tensor to skip it.",
            () => NegativeLogLikelihood.Evaluate(new ReadOnlyTensorSpan<double>(x, input), new ReadOnlyTensorSpan<int>(new int[4]), null, new TensorSpan<double>(g, [10, 4])));
        Expect("losses", "losses has shape [3]; expected [2, 3] (one loss per row of input [2, 3, 4]) or [2, 3, 4] (one per element), or an empty tensor to skip it.",
            () => KlDivergence.Evaluate(new ReadOnlyTensorSpan<double>(d.LogP, Shape), new ReadOnlyTensorSpan<double>(d.Soft, Shape), null, default,
                new TensorSpan<double>(g, [3])));
        Expect("losses", "losses has shape [6]; expected [2, 3] (one loss per row of input [2, 3, 4]), or an empty tensor to skip it.",
            () => Entropy.Evaluate(new ReadOnlyTensorSpan<double>(d.P, Shape), null, losses: new TensorSpan<double>(g, [N])));
        Expect("sampleWeights", "sampleWeights has shape [2, 3, 4]; expected [2, 3] (one weight per row of input [2, 3, 4]), or an empty tensor for none.",
            () => SoftmaxCrossEntropy.Evaluate(new ReadOnlyTensorSpan<double>(d.X, Shape), new ReadOnlyTensorSpan<int>(d.Labels, Rows), null,
                sampleWeights: new ReadOnlyTensorSpan<double>(d.X, Shape)));
        Expect("gradOutput", "gradOutput has shape [2, 3, 4]; expected [2, 3] (one upstream gradient per row of input [2, 3, 4]), or an empty tensor for none.",
            () => GaussianNegativeLogLikelihood.Evaluate(new ReadOnlyTensorSpan<double>(d.X, Shape), new ReadOnlyTensorSpan<double>(d.Soft, Shape), null,
                gradOutput: new ReadOnlyTensorSpan<double>(d.X, Shape)));
        Expect("variance", "variance has shape [6]; expected [2, 3] (one variance per row of input [2, 3, 4]) or [2, 3, 4] (one per element).",
            () => GaussianNegativeLogLikelihood.Evaluate(new ReadOnlyTensorSpan<double>(d.X, Shape), new ReadOnlyTensorSpan<double>(d.Soft, Shape),
                new ReadOnlyTensorSpan<double>(d.Variance, 0, [N], []), null));
        Expect("varianceGradient", "varianceGradient has shape [2, 3, 4]; expected [2, 3] (the shape of variance [2, 3]), or an empty tensor to skip it.",
            () => GaussianNegativeLogLikelihood.Evaluate(new ReadOnlyTensorSpan<double>(d.X, Shape), new ReadOnlyTensorSpan<double>(d.Soft, Shape),
                new ReadOnlyTensorSpan<double>(d.Variance, 0, Rows, []), null, default, new TensorSpan<double>(g, 0, Shape, [])));

        // A per-row variance of the leading shape is the span overload's N variances.
        double[] vg = new double[N], vg0 = new double[N], g0 = new double[N * K];
        var r = GaussianNegativeLogLikelihood.Evaluate(new ReadOnlyTensorSpan<double>(d.X, Shape), new ReadOnlyTensorSpan<double>(d.Soft, Shape),
            new ReadOnlyTensorSpan<double>(d.Variance, 0, Rows, []), null, new TensorSpan<double>(g, 0, Shape, []), new TensorSpan<double>(vg, Rows));
        var r0 = GaussianNegativeLogLikelihood.Evaluate<double>(d.X, d.Soft, d.Variance.AsSpan(0, N), K, null, g0, vg0, default);
        Assert.Equal(r0.Value, r.Value);
        Assert.Equal(vg0, vg);
    }

    [Fact]
    public void BadValues_StillNameTheArgumentRowAndColumn_AsTheSpanOverloadDoes()
    {
        var d = new Data<double>();
        int[] labels = [.. d.Labels];
        labels[4] = K;
        var e = Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate(new ReadOnlyTensorSpan<double>(d.X, Shape), new ReadOnlyTensorSpan<int>(labels, Rows), null));
        var e0 = Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate<double>(d.X, labels, K, null, default, default));
        Assert.Equal(e0.Message, e.Message);

        double[] soft = [.. d.Soft];
        soft[(3 * K) + 2] = -0.5;
        var p = Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate(new ReadOnlyTensorSpan<double>(d.X, Shape), new ReadOnlyTensorSpan<double>(soft, Shape), null));
        Assert.Equal("targets", p.ParamName);
        Assert.Contains("row 3", p.Message, StringComparison.Ordinal);
        Assert.Contains("column 2", p.Message, StringComparison.Ordinal);
    }
}
