namespace ClassLoss.Training.Optimizers;

internal static class OptimizerState
{
    public static void Write(BinaryWriter w, long step, float[] buffer)
    {
        w.Write(step);
        w.Write(buffer.Length);
        foreach (float f in buffer)
        {
            w.Write(f);
        }
    }

    public static void Read(BinaryReader r, out long step, float[] buffer)
    {
        step = r.ReadInt64();
        int n = r.ReadInt32();
        if (n != buffer.Length)
        {
            throw new InvalidDataException($"optimiser state has {n} values; the model has {buffer.Length} parameters.");
        }

        for (int i = 0; i < n; i++)
        {
            buffer[i] = r.ReadSingle();
        }
    }
}
