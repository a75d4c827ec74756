using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Tests.Training;

public sealed class ThreadDefaultsTests
{
    [Theory]
    [InlineData(null, null, "OpenMP's default wait")]
    [InlineData("PASSIVE", null, "OpenMP wait policy PASSIVE")]
    [InlineData(null, "10000", "OpenMP spin count 10000")]
    [InlineData("ACTIVE", "0", "OpenMP wait policy ACTIVE, spin count 0 (the spin count wins)")]
    public void The_header_names_the_wait_the_environment_asks_for(string? policy, string? spins, string expected) =>
        Assert.Equal(expected, ThreadDefaults.Describe(policy, spins));
}
