#pragma warning disable RS1035 // instrumentation only: never built into the package (bench/cgstats/run.sh copies it into a scratch copy of src)
using System;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading;

namespace CacheGuard.Analyzers.Engine;

/// <summary>
/// Where CacheGuard's time inside Roslyn's callbacks goes, per kind of callback and per shared fact: wall time (what
/// the driver's telemetry and cgeval report), this thread's CPU time, this thread's JIT time and method count, GC pause
/// and this thread's allocations, and how often the thread left the CPU inside the scope: voluntary switches (it
/// waited: a lock, a lazy value another thread computes) and involuntary ones (preempted by another runnable thread). Printed to stderr when the process exits. Scopes of one kind nested on a thread count
/// once; different kinds nest (names holds catalog; block holds judge, rules and report).
/// </summary>
internal static class Stats
{
    public static readonly string[] Names = { "start", "symstart", "block", "end", "catalog", "names", "words", "judge", "report", "rules" };
    private static readonly long[] Wall = new long[Names.Length], Cpu = new long[Names.Length], JitTicks = new long[Names.Length],
        JitMethods = new long[Names.Length], Gc = new long[Names.Length], Bytes = new long[Names.Length], Calls = new long[Names.Length],
        Voluntary = new long[Names.Length], Involuntary = new long[Names.Length];

    // Counters: 0 gate judgements of a type, 1 body judgements that went past the words check.
    public static readonly long[] Counters = new long[2];

    // APIs of .NET Core 3+ / 5+ the netstandard2.0 surface does not name.
    private static readonly Func<bool, TimeSpan>? JitTime = Make<Func<bool, TimeSpan>>("System.Runtime.JitInfo", "GetCompilationTime", typeof(bool));
    private static readonly Func<bool, long>? JitCount = Make<Func<bool, long>>("System.Runtime.JitInfo", "GetCompiledMethodCount", typeof(bool));
    private static readonly Func<TimeSpan>? Pause = Make<Func<TimeSpan>>("System.GC", "GetTotalPauseDuration");
    private static readonly Func<long>? Allocated = Make<Func<long>>("System.GC", "GetAllocatedBytesForCurrentThread");

    [ThreadStatic]
    private static int[]? t_depth;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private const int ClockThreadCpuTime = 3;

    // struct rusage on 64-bit Linux: two timevals, then 14 longs; ru_nvcsw and ru_nivcsw are the last two.
    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRusage(int who, [Out] long[] usage);

    private const int RusageThread = 1;

    [ThreadStatic]
    private static long[]? t_usage;

    private static (long Voluntary, long Involuntary) Switches()
    {
        var usage = t_usage ??= new long[18];
        return GetRusage(RusageThread, usage) == 0 ? (usage[16], usage[17]) : (0, 0);
    }

    private static long ThreadCpuTicks() => ClockGetTime(ClockThreadCpuTime, out var t) == 0 ? t.Seconds * 10_000_000 + t.Nanoseconds / 100 : 0;

    static Stats()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            for (var i = 0; i < Names.Length; i++)
            {
                if (Calls[i] > 0)
                {
                    Console.Error.WriteLine($"CGSTATS {Names[i],-9} calls {Calls[i],7} wall {Wall[i] / 10000.0,8:0.0} ms cpu {Cpu[i] / 10000.0,8:0.0} ms "
                        + $"jit {JitTicks[i] / 10000.0,7:0.0} ms ({JitMethods[i]} methods) gc {Gc[i] / 10000.0,7:0.0} ms alloc {Bytes[i] / 1048576.0,6:0.0} MB "
                        + $"switches vol {Voluntary[i]} invol {Involuntary[i]}");
                }
            }
            Console.Error.WriteLine($"CGCOUNT gate-computed {Counters[0]} judged-with-words {Counters[1]}");
        };
    }

    private static T? Make<T>(string type, string method, params Type[] parameters)
        where T : class
    {
        var m = Type.GetType(type)?.GetMethod(method, BindingFlags.Public | BindingFlags.Static, null, parameters, null);
        return m is null ? null : (T)(object)Delegate.CreateDelegate(typeof(T), m);
    }

    public static void Count(int counter) => Interlocked.Increment(ref Counters[counter]);

    public readonly struct Scope : IDisposable
    {
        private readonly int _kind;
        private readonly bool _outer;
        private readonly long _wall, _cpu, _jit, _jitMethods, _gc, _bytes, _voluntary, _involuntary;

        public Scope(int kind)
        {
            _kind = kind;
            var depth = t_depth ??= new int[Names.Length];
            _outer = depth[kind]++ == 0;
            _wall = Stopwatch.GetTimestamp();
            _cpu = ThreadCpuTicks();
            _jit = JitTime?.Invoke(true).Ticks ?? 0;
            _jitMethods = JitCount?.Invoke(true) ?? 0;
            _gc = Pause?.Invoke().Ticks ?? 0;
            _bytes = Allocated?.Invoke() ?? 0;
            (_voluntary, _involuntary) = Switches();
        }

        public void Dispose()
        {
            t_depth![_kind]--;
            if (!_outer)
                return;
            var k = _kind;
            Interlocked.Add(ref Wall[k], (long)((Stopwatch.GetTimestamp() - _wall) * (10_000_000.0 / Stopwatch.Frequency)));
            Interlocked.Add(ref Cpu[k], ThreadCpuTicks() - _cpu);
            Interlocked.Add(ref JitTicks[k], (JitTime?.Invoke(true).Ticks ?? 0) - _jit);
            Interlocked.Add(ref JitMethods[k], (JitCount?.Invoke(true) ?? 0) - _jitMethods);
            Interlocked.Add(ref Gc[k], (Pause?.Invoke().Ticks ?? 0) - _gc);
            Interlocked.Add(ref Bytes[k], (Allocated?.Invoke() ?? 0) - _bytes);
            var (voluntary, involuntary) = Switches();
            Interlocked.Add(ref Voluntary[k], voluntary - _voluntary);
            Interlocked.Add(ref Involuntary[k], involuntary - _involuntary);
            Interlocked.Increment(ref Calls[k]);
        }
    }
}
