using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MiDistill.Runtime.Training;

/// <summary>
/// How LibTorch's OpenMP threads wait. By default (GNU OpenMP's active policy) a thread that
/// finishes its share of a parallel region spins for the others; on a machine where another
/// process holds a core, the spinning threads take the time the working one needs, and a step on
/// all cores slowed 3x (docs/performance.md, "Threads on a shared machine"). MiDistill asks for
/// the passive policy (threads sleep while they wait) before LibTorch loads, unless the user has
/// set <c>OMP_WAIT_POLICY</c> already.
/// </summary>
public static class ThreadDefaults
{
    public const string WaitPolicyVariable = "OMP_WAIT_POLICY";

    /// <summary>The wait policy MiDistill sets when the user has set none.</summary>
    public const string WaitPolicy = "PASSIVE";

    // GNU OpenMP reads its environment once, when libgomp loads with LibTorch, so this must run
    // before any tensor exists: a module initializer runs before the first call into this assembly,
    // which is what loads TorchSharp in a recipe run. A host that creates tensors before touching
    // MiDistill.Runtime must set the variable itself.
#pragma warning disable CA2255 // The initializer only sets a process environment variable, once, and never throws.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void PreferPassiveWaiting()
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())) return;
        // .NET's own Environment.SetEnvironmentVariable does not reach the C environment on Unix;
        // libc's setenv does. Overwrite 0 keeps a value the user set.
        setenv(WaitPolicyVariable, WaitPolicy, 0);
    }

    /// <summary>The wait policy native code will read (the C environment), or null where none is set.</summary>
    public static string? NativeWaitPolicy() =>
        OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() ? Marshal.PtrToStringAnsi(getenv(WaitPolicyVariable)) : Environment.GetEnvironmentVariable(WaitPolicyVariable);

    [DllImport("libc", SetLastError = true)]
    private static extern int setenv(string name, string value, int overwrite);

    [DllImport("libc")]
    private static extern IntPtr getenv(string name);
}
