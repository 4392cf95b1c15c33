using CacheGuard.Analyzers.Model;
using CacheGuard.Analyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace CacheGuard.Analyzers.Tests.Model;

/// <summary>
/// <see cref="CacheApi"/> finds its types through the compilation's global namespace instead of
/// <see cref="Compilation.GetTypeByMetadataName"/>: every type must be the one the compilation would give,
/// also when the name is declared in source, twice, not publicly, or only behind an extern alias.
/// </summary>
public class CacheApiTests
{
    [Fact]
    public void Types_AreTheCompilations_WithTheUsualReferences() =>
        AssertSameAsCompilation(Compile("class C { }"));

    [Fact]
    public void TypeDeclaredInSource_IsTheSourceType()
    {
        var compilation = Compile("namespace StackExchange.Redis { public struct RedisKey { } } namespace System { public class Random { } }");
        AssertSameAsCompilation(compilation);
        Assert.True(SymbolEqualityComparer.Default.Equals(CacheApi.TryCreate(compilation)!.RedisKey!.ContainingAssembly, compilation.Assembly));
    }

    [Fact]
    public void TypeDeclaredByTwoReferences_IsNone()
    {
        var compilation = Compile("class C { }", Library("namespace Dapper { public static class SqlMapper { } } namespace StackExchange.Redis { public enum When { } }"));
        AssertSameAsCompilation(compilation);
        Assert.Null(CacheApi.TryCreate(compilation)!.RedisWhen);
    }

    [Fact]
    public void TypeDeclaredOnlyInternally_IsTheCompilations() =>
        AssertSameAsCompilation(Compile("class C { }", Library("namespace Dapper { internal static class SqlMapper { } } namespace CacheGuard { internal static class CacheTtl { } }")));

    [Fact]
    public void TypeBehindAnExternAlias_IsTheCompilations() =>
        AssertSameAsCompilation(Compile("class C { }", Library("namespace Dapper { public static class SqlMapper { } } namespace Other { public class T { } }").WithAliases(new[] { "lib" })));

    private static void AssertSameAsCompilation(Compilation compilation)
    {
        var api = CacheApi.TryCreate(compilation);
        Assert.NotNull(api);
        var checkedCount = 0;
        foreach (var (property, metadataName) in Names)
        {
            var expected = compilation.GetTypeByMetadataName(metadataName);
            var actual = (INamedTypeSymbol?)typeof(CacheApi).GetProperty(property)!.GetValue(api);
            Assert.True(SymbolEqualityComparer.Default.Equals(expected, actual), $"{metadataName}: {expected} expected, {actual} found");
            checkedCount++;
        }
        Assert.Equal(Names.Length, checkedCount);
    }

    private static readonly (string Property, string MetadataName)[] Names =
    {
        ("RedisDatabase", "StackExchange.Redis.IDatabase"),
        ("RedisKey", "StackExchange.Redis.RedisKey"),
        ("RedisWhen", "StackExchange.Redis.When"),
        ("DistributedCache", "Microsoft.Extensions.Caching.Distributed.IDistributedCache"),
        ("MemoryCache", "Microsoft.Extensions.Caching.Memory.IMemoryCache"),
        ("HybridCache", "Microsoft.Extensions.Caching.Hybrid.HybridCache"),
        ("DbContext", "Microsoft.EntityFrameworkCore.DbContext"),
        ("DbSet", "Microsoft.EntityFrameworkCore.DbSet`1"),
        ("DapperSqlMapper", "Dapper.SqlMapper"),
        ("AdoDbCommand", "System.Data.Common.DbCommand"),
        ("TimeSpan", "System.TimeSpan"),
        ("Random", "System.Random"),
        ("RuntimeCacheTtl", "CacheGuard.CacheTtl"),
    };

    private static MetadataReference Library(string source)
    {
        var library = CSharpCompilation.Create("lib", new[] { CSharpSyntaxTree.ParseText(source) }, References.All,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var stream = new MemoryStream();
        Assert.True(library.Emit(stream).Success);
        return MetadataReference.CreateFromImage(stream.ToArray());
    }

    private static CSharpCompilation Compile(string source, params MetadataReference[] extra) =>
        CSharpCompilation.Create("t", new[] { CSharpSyntaxTree.ParseText(source) }, References.All.AddRange(extra),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
}
