using System.Diagnostics;

namespace PrescribeGuard.LoadTest;

/// <summary>
/// What this process spent during a phase: the load's client and, when in-process, the guard. CPU
/// as a share of all cores, bytes allocated, and the share of the time the GC held threads paused.
/// </summary>
public readonly record struct ProcessCost(double CpuPercent, long AllocatedBytes, double GcPausePercent)
{
    public static Mark Begin() => new(Process.GetCurrentProcess().TotalProcessorTime, GC.GetTotalAllocatedBytes(), GC.GetTotalPauseDuration());

    /// <summary>The process's totals when a phase began.</summary>
    public readonly record struct Mark(TimeSpan Cpu, long Allocated, TimeSpan Paused)
    {
        public ProcessCost Since(TimeSpan elapsed) => new(
            (Process.GetCurrentProcess().TotalProcessorTime - Cpu).TotalMilliseconds / elapsed.TotalMilliseconds / Environment.ProcessorCount * 100,
            GC.GetTotalAllocatedBytes() - Allocated,
            (GC.GetTotalPauseDuration() - Paused).TotalMilliseconds / elapsed.TotalMilliseconds * 100);
    }
}
