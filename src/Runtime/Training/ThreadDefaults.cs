using System;

namespace MiDistill.Runtime.Training;

/// <summary>
/// How LibTorch's OpenMP threads wait for each other, as a run's header reports it. MiDistill sets
/// neither variable: GNU OpenMP's own default (a waiting thread spins 300,000 times, about 3 ms,
/// then sleeps) is as fast as spinning forever on an idle machine, and sleeping at once cost 20-50%
/// per step there. What made spinning slow on a shared machine was a thread on a core another
/// process holds; <see cref="ThreadGovernor"/> runs no such thread (docs/performance.md, "Threads
/// on a shared machine"). A policy the user sets in the environment applies as it is.
/// </summary>
public static class ThreadDefaults
{
    public const string WaitPolicyVariable = "OMP_WAIT_POLICY";

    /// <summary>GNU OpenMP's own knob: how many times a waiting thread spins before it sleeps; it overrides the policy.</summary>
    public const string SpinCountVariable = "GOMP_SPINCOUNT";

    /// <summary>The wait in force in this process (from its environment), for the run's header.</summary>
    public static string Describe() =>
        Describe(Environment.GetEnvironmentVariable(WaitPolicyVariable), Environment.GetEnvironmentVariable(SpinCountVariable));

    /// <summary>The wait that <paramref name="policy"/> and <paramref name="spinCount"/> (either may be unset) ask for.</summary>
    public static string Describe(string? policy, string? spinCount) => (policy, spinCount) switch
    {
        (null, null) => "OpenMP's default wait",
        (_, null) => $"OpenMP wait policy {policy}",
        (null, _) => $"OpenMP spin count {spinCount}",
        _ => $"OpenMP wait policy {policy}, spin count {spinCount} (the spin count wins)",
    };
}
