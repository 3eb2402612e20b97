namespace ClassLoss.Tests.Numerics;

/// <summary>Checks that a call allocates nothing on the calling thread.</summary>
internal static class AllocationProbe
{
    /// <summary>
    /// The fewest bytes the calling thread allocated in one of up to <paramref name="tries"/> calls (after one warm-up
    /// call). A kernel that allocates per call never reaches 0; the runtime itself occasionally allocates a few KB on
    /// the calling thread while it re-compiles a hot method (tiering / on-stack replacement, seen with
    /// DOTNET_EnableHWIntrinsic=0), which a single measured call would mistake for the kernel's.
    /// </summary>
    /// <remarks>On a loaded machine (the full suite on two busy cores) the background JIT can take long enough that every
    /// one of ten back-to-back calls still met a method being tiered up (728 bytes each, seen once in a full run of a
    /// kernel that measures 0 alone); after a try that allocated, the probe therefore yields for 20 ms, letting the
    /// background compilation finish, before the next.</remarks>
    public static long FewestBytesPerCall(Action call, int tries = 10)
    {
        // Tier-1 code, as a training loop runs it: .NET recompiles a method after 30 calls and a 100 ms delay, and until
        // then a kernel's first calls can run tier-0 or on-stack-replacement code whose transitions allocate on the
        // calling thread (240-968 bytes per call seen for kernels only a few tests had called, in a loaded full run).
        for (int i = 0; i < 31; i++)
        {
            call();
        }

        Thread.Sleep(150);
        call();
        long fewest = long.MaxValue;
        for (int i = 0; i < tries && fewest != 0; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            call();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
            if (fewest != 0)
            {
                Thread.Sleep(20);
            }
        }

        return fewest;
    }
}
