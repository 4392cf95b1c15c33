using System.Reflection;
using System.Text.RegularExpressions;
using StackExchange.Redis;

namespace CacheGuard.Runtime.Tests;

/// <summary>Scripts take data only through KEYS/ARGV; payloads never choose the type that is created.</summary>
[Collection(RedisNodeCollection.Name)]
public sealed partial class SecurityTests(RedisNodeFixture fixture)
{
    private static readonly Assembly Runtime = typeof(CacheEngine).Assembly;

    private static string RuntimeSourceDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "CacheGuard.Runtime");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("src/CacheGuard.Runtime not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"ScriptEvaluate(?:Async)?\s*\(\s*(?<script>[^,]+),", RegexOptions.Singleline)]
    private static partial Regex ScriptCall();

    [Fact]
    public void EveryScriptEvaluateCall_PassesAConstantScript_NeverBuiltText()
    {
        var calls = 0;
        foreach (var file in Directory.EnumerateFiles(RuntimeSourceDir(), "*.cs", SearchOption.AllDirectories))
        {
            foreach (Match m in ScriptCall().Matches(File.ReadAllText(file)))
            {
                calls++;
                var arg = m.Groups["script"].Value.Trim();
                var where = $"{Path.GetFileName(file)}: ScriptEvaluate({arg}, …)";
                Assert.DoesNotContain("$\"", arg);
                Assert.DoesNotContain("+", arg);
                Assert.DoesNotContain("\"", arg);
                Assert.DoesNotContain("Format", arg);
                Assert.DoesNotContain("Concat", arg);
                // Type.Member of a const string in the runtime assembly.
                var parts = arg.Split('.');
                Assert.True(parts.Length == 2, where + " is not Type.Member");
                var type = Runtime.GetTypes().Single(t => t.Name == parts[0]);
                var field = type.GetField(parts[1], BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic);
                Assert.True(field is { IsLiteral: true } && field.FieldType == typeof(string), where + " is not a const string");
            }
        }
        Assert.True(calls >= 8, $"found only {calls} ScriptEvaluate calls: the scan is broken");
    }

    public static TheoryData<string> Scripts()
    {
        var data = new TheoryData<string>();
        foreach (var type in new[] { typeof(LuaScripts), typeof(OutboxStreams) })
            foreach (var f in type.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
                if (f.IsLiteral && f.FieldType == typeof(string) && ((string)f.GetRawConstantValue()!).Contains("redis.", StringComparison.Ordinal))
                    data.Add(type.Name + "." + f.Name);
        return data;
    }

    [GeneratedRegex(@"redis\.p?call\(\s*'(?<cmd>[A-Za-z]+)'\s*,\s*(?<first>[^,)]+)")]
    private static partial Regex RedisCall();

    [Theory]
    [MemberData(nameof(Scripts))]
    public void EveryScript_TakesKeysFromKEYS_AndNeverEvaluatesData(string name)
    {
        var parts = name.Split('.');
        var type = parts[0] == nameof(LuaScripts) ? typeof(LuaScripts) : typeof(OutboxStreams);
        var script = (string)type.GetField(parts[1], BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)!.GetRawConstantValue()!;

        foreach (var banned in new[] { "loadstring", "load(", "dofile", "loadfile", "setfenv", "getfenv", "string.dump" })
            Assert.DoesNotContain(banned, script);
        Assert.Contains("KEYS[", script);

        var keyless = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "TIME", "PUBLISH" };
        var seen = 0;
        foreach (Match m in RedisCall().Matches(script))
        {
            seen++;
            var cmd = m.Groups["cmd"].Value;
            var first = m.Groups["first"].Value.Trim();
            if (keyless.Contains(cmd)) continue;
            // The key argument of every keyed command is KEYS[n] (or a local bound to it), never a literal.
            Assert.False(first.StartsWith('\'') || first.StartsWith('"'), $"{name}: {cmd} on a literal key {first}");
        }
        Assert.True(seen > 0, name + ": no redis.call found");
    }

    public abstract class Shape
    {
        public int Id { get; set; }
    }

    [Fact]
    public async Task PayloadNamingAType_IsNeverInstantiated_TypedReadsIgnoreOrRejectIt()
    {
        var db = (await fixture.ConnectAsync()).GetDatabase();
        var key = Nodes.Key("typename-typed");
        var payload = System.Text.Encoding.UTF8.GetBytes("{\"$type\":\"System.Diagnostics.Process, System.Diagnostics.Process\",\"id\":3,\"title\":\"t\"}");
        await db.StringSetAsync(key, payload, TimeSpan.FromMinutes(1));

        var asPost = await db.TryGetAsync<Post>(key);
        Assert.True(asPost.IsHit);
        Assert.IsType<Post>(asPost.Value);
        Assert.Equal(3, asPost.Value!.Id);

        // An abstract type can't be created from a payload's type name: the entry is unreadable, a miss.
        var asShape = await db.TryGetAsync<Shape>(key);
        Assert.True(asShape.IsMiss);
        var built = await db.GetOrSetAsync<Shape>(key, ct => Task.FromResult<Shape>(new Square { Id = 9 }), TimeSpan.FromMinutes(1));
        Assert.IsType<Square>(built);
    }

    public sealed class Square : Shape
    {
    }
}
