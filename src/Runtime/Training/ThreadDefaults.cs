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
        // .NET's own Environment.SetEnvironmentVariable does not reach the C environment on Unix;
        // libc's setenv does. Overwrite 0 keeps a value the user set. Without a C library to call
        // (another OS) the default policy stays: a slower shared machine, never a failed start.
        if (Libc() is not { } libc || !NativeLibrary.TryGetExport(libc, "setenv", out var setenv)) return;
        Marshal.GetDelegateForFunctionPointer<SetEnv>(setenv)(WaitPolicyVariable, WaitPolicy, 0);
    }

    /// <summary>The wait policy native code will read (the C environment), or null where none is set.</summary>
    public static string? NativeWaitPolicy()
    {
        if (Libc() is not { } libc || !NativeLibrary.TryGetExport(libc, "getenv", out var getenv))
            return Environment.GetEnvironmentVariable(WaitPolicyVariable);
        return Marshal.PtrToStringAnsi(Marshal.GetDelegateForFunctionPointer<GetEnv>(getenv)(WaitPolicyVariable));
    }

    // By its runtime name (libc.so.6): a bare "libc" resolves to libc.so, a linker script that only
    // exists where the C development files are installed.
    private static IntPtr? Libc()
    {
        string? name = OperatingSystem.IsLinux() ? "libc.so.6" : OperatingSystem.IsMacOS() ? "/usr/lib/libSystem.dylib" : null;
        return name is not null && NativeLibrary.TryLoad(name, out var handle) ? handle : null;
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int SetEnv([MarshalAs(UnmanagedType.LPStr)] string name, [MarshalAs(UnmanagedType.LPStr)] string value, int overwrite);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr GetEnv([MarshalAs(UnmanagedType.LPStr)] string name);
}
