using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace CacheGuard.Behavior.Tests;

/// <summary>
/// Compiles sample code (as written, or as a code fix left it) against the very assemblies this
/// test process runs, and loads it, so the behavioural tests execute real before/after code.
/// </summary>
internal static class SampleCompiler
{
    public static readonly CSharpCompilationOptions Options =
        new(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable);

    /// <summary>
    /// .NET 10 reference assemblies plus <paramref name="assemblies"/> and what they reference, except
    /// test frameworks: a sample is a user's production project. (When a sample uses a type of this
    /// test assembly, this assembly's own xunit references would otherwise reach the sample's compilation,
    /// and CacheGuard rightly skips a project that references xunit, NUnit or MSTest — RULES.md.)
    /// </summary>
    public static ImmutableArray<MetadataReference> ReferencesFor(params Assembly[] assemblies)
    {
        var builder = ImmutableArray.CreateBuilder<MetadataReference>();
        builder.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        var seen = new HashSet<string>(Basic.Reference.Assemblies.Net100.References.All.Select(r => Path.GetFileNameWithoutExtension(r.FilePath!)), StringComparer.OrdinalIgnoreCase);
        foreach (var assembly in assemblies)
        {
            if (seen.Add(assembly.GetName().Name!))
                builder.Add(MetadataReference.CreateFromFile(assembly.Location));
            foreach (var name in assembly.GetReferencedAssemblies())
            {
                if (seen.Contains(name.Name!) || IsTestFramework(name.Name!))
                    continue;
                try
                {
                    var referenced = Assembly.Load(name);
                    if (!string.IsNullOrEmpty(referenced.Location) && seen.Add(name.Name!))
                        builder.Add(MetadataReference.CreateFromFile(referenced.Location));
                }
                catch (FileNotFoundException)
                {
                    // Not needed to compile the samples.
                }
            }
        }
        return builder.ToImmutable();
    }

    private static bool IsTestFramework(string name) =>
        name.StartsWith("xunit", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("nunit", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("MSTest", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("Microsoft.VisualStudio.TestPlatform", StringComparison.OrdinalIgnoreCase);

    /// <summary>Compiles <paramref name="source"/> and loads it; a compile error fails with the errors and the source.</summary>
    public static Assembly Compile(string source, string assemblyName, ImmutableArray<MetadataReference> references)
    {
        var compilation = CSharpCompilation.Create(
            assemblyName,
            new[] { CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest)) },
            references,
            Options);
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        if (!result.Success)
            throw new InvalidOperationException(string.Join(Environment.NewLine, result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)) + Environment.NewLine + source);
        return Assembly.Load(stream.ToArray());
    }
}
