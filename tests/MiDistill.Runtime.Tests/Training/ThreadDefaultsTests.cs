using System;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Tests.Training;

public sealed class ThreadDefaultsTests
{
    [Fact]
    public void LibTorchs_threads_are_asked_to_wait_passively_unless_the_user_chose()
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())) return;
        // The value this process started with, if any, is the user's and must be kept.
        var user = Environment.GetEnvironmentVariable(ThreadDefaults.WaitPolicyVariable);
        Assert.Equal(user ?? ThreadDefaults.WaitPolicy, ThreadDefaults.NativeWaitPolicy());
    }
}
