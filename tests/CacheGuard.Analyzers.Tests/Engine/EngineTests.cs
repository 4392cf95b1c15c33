using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;
using All = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Engine.CacheGuardAnalyzer, CacheGuard.CodeFixes.FixedTtlCodeFix>;

namespace CacheGuard.Analyzers.Tests.Engine;

/// <summary>The shipped analyzer: every rule from one engine, test projects left alone unless asked.</summary>
public class EngineTests
{
    private const string WriteThrough = """
        using System;
        using System.Text.Json;
        using System.Threading.Tasks;
        using Microsoft.EntityFrameworkCore;
        using StackExchange.Redis;

        public sealed class Product { public int Id { get; set; } }
        public sealed class ShopContext : DbContext { public DbSet<Product> Products => Set<Product>(); }

        public sealed class ProductWriter
        {
            private readonly ShopContext _db;
            private readonly IDatabase _cache;
            public ProductWriter(ShopContext db, IDatabase cache) { _db = db; _cache = cache; }

            public async Task UpdateAsync(Product product)
            {
                _db.Products.Update(product);
                await _db.SaveChangesAsync();
                await {|#0:_cache.StringSetAsync($"product:{product.Id}", JsonSerializer.Serialize(product), {|#1:TimeSpan.FromMinutes(10)|})|};
            }
        }
        """;

    [Theory]
    [InlineData(LanguageVersion.Latest)]
    [InlineData(LanguageVersion.CSharp9)]
    public async Task OneLine_CarriesTwoRules_FromOneEngine(LanguageVersion version)
    {
        var test = new All.Test(version) { TestCode = WriteThrough };
        test.ExpectedDiagnostics.Add(All.Diagnostic("CG0002").WithLocation(0).WithArguments("$\"product:{product.Id}\"", "'_db.SaveChangesAsync()'").WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
        test.ExpectedDiagnostics.Add(All.Diagnostic("CG0001").WithLocation(1).WithArguments("the TTL 'TimeSpan.FromMinutes(10)' is a constant").WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
        await test.RunAsync();
    }

    [Fact]
    public async Task RuleWithSeverityNone_ReportsNothing_TheOthersStillDo()
    {
        var test = new All.Test { TestCode = WriteThrough };
        test.AddEditorConfig("dotnet_diagnostic.CG0001.severity = none");
        test.ExpectedDiagnostics.Add(All.Diagnostic("CG0002").WithLocation(0).WithArguments("$\"product:{product.Id}\"", "'_db.SaveChangesAsync()'").WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
        await test.RunAsync();
    }

    private static readonly MetadataReference Xunit = MetadataReference.CreateFromFile(typeof(FactAttribute).Assembly.Location);

    [Fact]
    public async Task TestProject_IsNotAnalyzed_ByDefault()
    {
        var test = new All.Test { TestCode = WriteThrough.Replace("{|#0:", "").Replace("{|#1:", "").Replace(")|})|}", "))") };
        test.TestState.AdditionalReferences.Add(Xunit);
        await test.RunAsync();
    }

    [Fact]
    public async Task TestProject_IsAnalyzed_WithAnalyzeTests()
    {
        var test = new All.Test { TestCode = WriteThrough };
        test.TestState.AdditionalReferences.Add(Xunit);
        test.AddEditorConfig("cacheguard.analyze_tests = true");
        test.ExpectedDiagnostics.Add(All.Diagnostic("CG0002").WithLocation(0).WithArguments("$\"product:{product.Id}\"", "'_db.SaveChangesAsync()'").WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
        test.ExpectedDiagnostics.Add(All.Diagnostic("CG0001").WithLocation(1).WithArguments("the TTL 'TimeSpan.FromMinutes(10)' is a constant").WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
        await test.RunAsync();
    }
}
