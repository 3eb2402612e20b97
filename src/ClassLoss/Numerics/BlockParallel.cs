using System.Runtime.ExceptionServices;

namespace ClassLoss.Numerics;

/// <summary>A unit of a kernel's work: block <c>b</c> writes only its own outputs (rows, gradient, <c>sums[b]</c>).</summary>
internal interface IBlockJob
{
    /// <summary>Runs block <paramref name="block"/>.</summary>
    void RunBlock(int block);
}

/// <summary>A unit of a kernel's work that returns its share of the loss: block <c>b</c>'s sum, added in block order by
/// <see cref="BlockParallel.Sum{TJob}"/>.</summary>
internal interface IBlockSumJob
{
    /// <summary>Runs block <paramref name="block"/> and returns its sum (in double, its rows or elements in order).</summary>
    double RunBlock(int block);
}

/// <summary>
/// Runs the blocks of a kernel on the calling thread and up to <c>threads - 1</c> dedicated background workers,
/// without allocating per call (unlike <see cref="Parallel.For(int, int, Action{int})"/>, which allocates closures and tasks).
/// </summary>
/// <remarks>
/// Blocks are handed out dynamically (an atomic counter), so a slow or late worker only means the caller does more
/// of them; since each block writes only its own outputs and the caller combines block sums in block order, the
/// result never depends on which thread ran which block. One parallel run at a time: a call that finds the workers
/// busy (another thread is inside a parallel kernel) runs its blocks on its own thread instead of waiting. Workers
/// are created on first use, one per extra degree asked for (at most <see cref="Environment.ProcessorCount"/> - 1),
/// and sleep on a semaphore between runs.
/// </remarks>
internal static class BlockParallel
{
    private static readonly object Gate = new();
    private static readonly List<Worker> Workers = [];

    /// <summary>Runs <paramref name="job"/>'s blocks 0..<paramref name="blocks"/>-1 on up to <paramref name="threads"/> threads.</summary>
    public static void Run<TJob>(TJob job, int blocks, int threads) where TJob : struct, IBlockJob
    {
        int helpers = Math.Min(Math.Min(threads, blocks), Environment.ProcessorCount) - 1;
        if (helpers <= 0 || !Monitor.TryEnter(Gate))
        {
            for (int b = 0; b < blocks; b++)
            {
                job.RunBlock(b);
            }

            return;
        }

        try
        {
            while (Workers.Count < helpers)
            {
                Workers.Add(new Worker());
            }

            var run = JobRun<TJob>.Instance;
            run.Start(job, blocks, helpers);
            for (int i = 0; i < helpers; i++)
            {
                Workers[i].Wake(run);
            }

            run.Finish();
        }
        finally
        {
            Monitor.Exit(Gate);
        }
    }

    /// <summary>
    /// Runs <paramref name="job"/>'s blocks 0..<paramref name="blocks"/>-1 on up to <paramref name="threads"/> threads and
    /// returns the sum of their results added in block order, so the value does not depend on the thread count. The
    /// block sums live on the stack (<paramref name="blocks"/> ≤ <see cref="RowBlocks.MaxBlocks"/> · 2).
    /// </summary>
    public static unsafe double Sum<TJob>(TJob job, int blocks, int threads) where TJob : struct, IBlockSumJob
    {
        double* sums = stackalloc double[blocks];
        Run(new Summed<TJob>(job, sums), blocks, threads);
        return RowBlocks.Total(sums, blocks);
    }

    /// <summary>An <see cref="IBlockSumJob"/> whose block results go to their own slots.</summary>
    private readonly unsafe struct Summed<TJob>(TJob job, double* sums) : IBlockJob where TJob : struct, IBlockSumJob
    {
        public void RunBlock(int block) => sums[block] = job.RunBlock(block);
    }

    private interface IRun
    {
        void Help();
    }

    /// <summary>The state of one parallel run of a job type (one instance per type: runs are serialised by the gate).</summary>
    private sealed class JobRun<TJob> : IRun where TJob : struct, IBlockJob
    {
        public static readonly JobRun<TJob> Instance = new();

        private readonly ManualResetEventSlim _done = new(false);
        private TJob _job;
        private int _blocks;
        private int _next;
        private int _pending;
        private Exception? _error;

        public void Start(TJob job, int blocks, int helpers)
        {
            _job = job;
            _blocks = blocks;
            _next = 0;
            _error = null;
            _pending = helpers;
            _done.Reset();
        }

        /// <summary>The caller's share, then wait for every helper (the job points into memory the caller has pinned).</summary>
        public void Finish()
        {
            try
            {
                Work();
            }
            finally
            {
                _done.Wait();
                _job = default;
            }

            if (_error is { } error)
            {
                ExceptionDispatchInfo.Throw(error);
            }
        }

        public void Help()
        {
            try
            {
                Work();
            }
            catch (Exception e)
            {
                _error = e;
            }
            finally
            {
                if (Interlocked.Decrement(ref _pending) == 0)
                {
                    _done.Set();
                }
            }
        }

        private void Work()
        {
            int b;
            while ((b = Interlocked.Increment(ref _next) - 1) < _blocks)
            {
                _job.RunBlock(b);
            }
        }
    }

    private sealed class Worker
    {
        private readonly SemaphoreSlim _wake = new(0);
        private IRun? _run;

        public Worker()
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = "ClassLoss kernel worker" };
            thread.Start();
        }

        public void Wake(IRun run)
        {
            Volatile.Write(ref _run, run);
            _wake.Release();
        }

        private void Loop()
        {
            while (true)
            {
                _wake.Wait();
                Volatile.Read(ref _run)!.Help();
            }
        }
    }
}

/// <summary>
/// How row kernels cut a batch into blocks: the block size depends only on N (at least 16 rows, at most
/// <see cref="MaxBlocks"/> blocks), so the order of the double additions, and the value, is the same for any thread count.
/// </summary>
internal static unsafe class RowBlocks
{
    /// <summary>Upper bound on blocks per call (their sums live on the stack).</summary>
    public const int MaxBlocks = 512;

    /// <summary>Batches with fewer elements than this run on the calling thread: below it, waking a worker (a few
    /// microseconds) costs about what it saves (4096x10, 40,960 elements, takes ~250 µs on one thread).</summary>
    public const long ParallelThreshold = 1 << 15;

    /// <summary>A row kernel's plan for N ≥ 1 rows of K elements: rows per block, the number of blocks (both depend on N
    /// only, so the block sums, added in block order, do not depend on the thread count) and the threads to use given the
    /// caller's bound (one below <see cref="ParallelThreshold"/> elements).</summary>
    public static (int BlockRows, int Blocks, int Threads) Plan(int n, int k, int maxThreads)
    {
        int blockRows = Math.Max(16, (n + MaxBlocks - 1) / MaxBlocks);
        return (blockRows, (n + blockRows - 1) / blockRows, Threads((long)n * k, maxThreads));
    }

    /// <summary>An elementwise kernel's plan for <paramref name="length"/> ≥ 1 elements: elements per block (at least
    /// 16,384, a multiple of <paramref name="chunk"/>, at most 1024 blocks), the number of blocks and the threads.</summary>
    public static (int Block, int Blocks, int Threads) PlanElements(int length, int chunk, int maxThreads)
    {
        int block = Math.Max(16384, (int)(((long)length + (1024L * chunk) - 1) / (1024L * chunk)) * chunk);
        return (block, (int)(((long)length + block - 1) / block), Threads(length, maxThreads));
    }

    private static int Threads(long elements, int maxThreads) => elements < ParallelThreshold ? 1 : Math.Max(1, maxThreads);

    /// <summary>The block sums added in block order.</summary>
    public static double Total(double* sums, int blocks)
    {
        double total = 0;
        for (int b = 0; b < blocks; b++)
        {
            total += sums[b];
        }

        return total;
    }
}
