namespace PrescribeGuard.Domain.History;

/// <summary>
/// How far apart the clocks of platforms and guard instances may be. A record dated up to this far
/// ahead is accepted and counts at once, a reservation made by an instance whose clock runs ahead
/// holds immediately on the others, and one counts for this long past its expiry (a slower instance
/// may still confirm it): a clock off by up to this much must never let a second prescription through.
/// </summary>
public static class ClockSkew
{
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);
}
