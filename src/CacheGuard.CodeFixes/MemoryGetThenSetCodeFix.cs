using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CacheGuard.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace CacheGuard.CodeFixes;

/// <summary>
/// CG0004 on a hand-written <c>IMemoryCache</c> get-then-set: <c>TryGetValue</c>, a miss path that
/// loads, <c>Set</c>, return. Rewritten into the runtime's <c>GetOrCreateSingleFlight(Async)</c> on the
/// same cache: the miss path becomes the factory; the <c>Set</c> becomes the entry's configuration
/// at the same point (<c>Set(k, v, ttl)</c> → <c>entry.AbsoluteExpirationRelativeToNow = ttl</c>,
/// a <c>DateTimeOffset</c> → <c>AbsoluteExpiration</c>, <c>MemoryCacheEntryOptions</c> → <c>entry.SetOptions(o)</c>).
/// Two shapes: <c>if (cache.TryGetValue(k, out T v)) return v; …; cache.Set(k, x…); return x;</c> and
/// <c>if (!cache.TryGetValue(k, out T v)) { …; v = …; cache.Set(k, v…); } return v;</c>. Anything else
/// in the miss path that returns without caching, another cache call, or a write of another value: no fix.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MemoryGetThenSetCodeFix)), Shared]
public sealed class MemoryGetThenSetCodeFix : CodeFixProvider
{
    private const string Title = "Use single-flight GetOrCreate (GetOrCreateSingleFlight)";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.UnguardedPopulate);

    // Each plan replaces one method body: apply all of a document's together, add the using once.
    public override FixAllProvider GetFixAllProvider() => DocumentBatchFix.Provider(Edit, DocumentBatchFix.EnsureRuntimeUsingAsync);

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null || !RuntimeSyntax.HasRuntimeType(model.Compilation, "MemoryCacheSingleFlight"))
            return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (Edit(root, model, diagnostic, context.CancellationToken) is null)
                continue;
            var rewritten = await DocumentBatchFix.ReplaceAsync(context.Document, DocumentBatchFix.One(diagnostic), Edit, DocumentBatchFix.EnsureRuntimeUsingAsync, context.CancellationToken).ConfigureAwait(false);
            if (!await CompilesAsync(rewritten, context.CancellationToken).ConfigureAwait(false))
                continue;
            context.RegisterCodeFix(CodeAction.Create(Title, _ => Task.FromResult(rewritten), equivalenceKey: nameof(MemoryGetThenSetCodeFix)), diagnostic);
        }
    }

    /// <summary>The method body the diagnostic's get-then-set lives in, rewritten; null when no faithful rewrite.</summary>
    private static DocumentBatchFix.Replacement? Edit(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is { } read
        && read.Span == diagnostic.Location.SourceSpan
        && Plan(read, model, cancellationToken) is { } plan
            ? new DocumentBatchFix.Replacement(plan.Body, plan.NewBody)
            : null;

    private static readonly SyntaxAnnotation Rewritten = new("CacheGuard.GetOrCreateSingleFlight");

    private sealed class RewritePlan
    {
        public RewritePlan(BlockSyntax body, BlockSyntax newBody)
        {
            Body = body;
            NewBody = newBody;
        }

        public BlockSyntax Body { get; }
        public BlockSyntax NewBody { get; }
    }

    private static RewritePlan? Plan(InvocationExpressionSyntax read, SemanticModel model, CancellationToken ct)
    {
        // cache.TryGetValue(key, out T v) with a typed out local.
        if (read.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "TryGetValue" } access
            || read.ArgumentList.Arguments.Count != 2
            || read.ArgumentList.Arguments[1] is not { RefKindKeyword.RawKind: (int)SyntaxKind.OutKeyword, Expression: DeclarationExpressionSyntax { Designation: SingleVariableDesignationSyntax designation } }
            || model.GetSymbolInfo(read, ct).Symbol is not IMethodSymbol { Name: "TryGetValue", IsGenericMethod: true } tryGet
            || tryGet.ContainingType?.ToDisplayString() != "Microsoft.Extensions.Caching.Memory.CacheExtensions"
            || model.GetDeclaredSymbol(designation, ct) is not ILocalSymbol holder
            || !IsStable(access.Expression))
        {
            return null;
        }
        var cache = access.Expression;
        var key = read.ArgumentList.Arguments[0].Expression;
        if (!IsStable(key))
            return null;
        var valueType = tryGet.TypeArguments[0];

        // The if around the read.
        var condition = (ExpressionSyntax)read;
        var negated = false;
        if (read.Parent is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalNotExpression } not)
        {
            condition = not;
            negated = true;
        }
        if (condition.Parent is not IfStatementSyntax { Else: null } check || check.Condition != condition || check.Parent is not BlockSyntax body)
            return null;
        var index = body.Statements.IndexOf(check);
        var after = body.Statements.Skip(index + 1).ToList();

        List<StatementSyntax> miss;
        if (!negated)
        {
            // if (hit) return v;  miss...; Set(k, x); return x;
            if (StripBang(SingleReturn(check.Statement)) is not IdentifierNameSyntax returned || returned.Identifier.ValueText != holder.Name || after.Count < 2)
                return null;
            miss = after;
        }
        else
        {
            // if (miss) { ...; v = ...; Set(k, v); } return v;
            if (check.Statement is not BlockSyntax block || after.Count != 1
                || after[0] is not ReturnStatementSyntax { Expression: { } finalExpression }
                || StripBang(finalExpression) is not IdentifierNameSyntax finalReturn || finalReturn.Identifier.ValueText != holder.Name)
            {
                return null;
            }
            miss = block.Statements.ToList();
        }

        // Exactly one Set of the key, a top-level statement of the miss path.
        var setIndex = -1;
        ExpressionSyntax? stored = null;
        StatementSyntax? entryConfiguration = null;
        bool entryConfigured = false;
        for (var i = 0; i < miss.Count; i++)
        {
            foreach (var invocation in miss[i].DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>())
            {
                if (model.GetSymbolInfo(invocation, ct).Symbol is not IMethodSymbol method)
                    continue;
                var onCache = method.ContainingType?.ToDisplayString() is "Microsoft.Extensions.Caching.Memory.CacheExtensions" or "Microsoft.Extensions.Caching.Memory.IMemoryCache";
                if (!onCache)
                    continue;
                if (setIndex >= 0 || method.Name != "Set" || miss[i] is not ExpressionStatementSyntax { Expression: var e } || e != invocation
                    || invocation.ArgumentList.Arguments.Count is < 2 or > 3 || invocation.ArgumentList.Arguments.Any(a => a.NameColon is not null)
                    || invocation.Expression is not MemberAccessExpressionSyntax setAccess
                    || !SyntaxFactory.AreEquivalent(setAccess.Expression, cache)
                    || !SyntaxFactory.AreEquivalent(invocation.ArgumentList.Arguments[0].Expression, key))
                {
                    return null;
                }
                setIndex = i;
                stored = invocation.ArgumentList.Arguments[1].Expression;
                if (invocation.ArgumentList.Arguments.Count == 3)
                {
                    var expiry = invocation.ArgumentList.Arguments[2].Expression;
                    var parameterType = method.Parameters[method.IsExtensionMethod && method.ReducedFrom is null ? 3 : 2].Type.ToDisplayString().TrimEnd('?');
                    entryConfiguration = parameterType switch
                    {
                        "System.TimeSpan" => Assign("AbsoluteExpirationRelativeToNow", expiry),
                        "System.DateTimeOffset" => Assign("AbsoluteExpiration", expiry),
                        "Microsoft.Extensions.Caching.Memory.MemoryCacheEntryOptions" => SetOptions(expiry),
                        _ => null,
                    };
                    if (entryConfiguration is null)
                        return null;
                    entryConfigured = true;
                }
            }
        }
        if (setIndex < 0 || stored is null)
            return null;

        // What the Set stores is what is returned.
        if (!negated)
        {
            if (setIndex != miss.Count - 2 || miss[miss.Count - 1] is not ReturnStatementSyntax { Expression: { } ret } || !SyntaxFactory.AreEquivalent(ret, stored)
                || stored is not IdentifierNameSyntax)
            {
                return null;
            }
        }
        else if (setIndex != miss.Count - 1 || stored is not IdentifierNameSyntax { } storedName || storedName.Identifier.ValueText != holder.Name)
        {
            return null;
        }

        // The miss path is the factory: no returns of its own, no yield/goto, no use of `entry`, out/ref.
        var missNodes = miss.Take(negated ? miss.Count - 1 : miss.Count - 2).SelectMany(s => s.DescendantNodesAndSelf(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))).ToList();
        if (missNodes.Any(n => n is ReturnStatementSyntax or YieldStatementSyntax or GotoStatementSyntax or LabeledStatementSyntax)
            || miss.SelectMany(s => s.DescendantTokens()).Any(t => t.IsKind(SyntaxKind.IdentifierToken) && t.ValueText == "entry")
            || body.Parent is not (MethodDeclarationSyntax or LocalFunctionStatementSyntax))
        {
            return null;
        }
        foreach (var id in miss.SelectMany(s => s.DescendantNodes()).OfType<IdentifierNameSyntax>())
        {
            if (model.GetSymbolInfo(id, ct).Symbol is IParameterSymbol { RefKind: not RefKind.None } || model.GetSymbolInfo(id, ct).Symbol is ILocalSymbol { IsRef: true })
                return null;
        }
        if (!miss.Take(negated ? miss.Count - 1 : miss.Count - 2).All(st => IsFactoryStatement(st, model, ct)))
            return null;
        var hasAwait = missNodes.Any(n => n is AwaitExpressionSyntax);
        var methodSymbol = model.GetDeclaredSymbol(body.Parent, ct) as IMethodSymbol;
        if (methodSymbol is null)
            return null;
        if (hasAwait != methodSymbol.IsAsync)
            return null; // sync factory in an async method stays as it is (no gain), async in sync can't be

        // The factory: the miss statements, the entry configured where Set was, return the value.
        var factory = new List<StatementSyntax>();
        var declared = ((DeclarationExpressionSyntax)read.ArgumentList.Arguments[1].Expression).Type;
        var typeSyntax = declared.IsVar
            ? SyntaxFactory.ParseTypeName(valueType.ToMinimalDisplayString(model, read.SpanStart))
            : declared.WithoutTrivia();
        if (negated)
        {
            // v was declared by the out: declare it in the factory.
            var eol = body.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
            var rest = miss.Take(miss.Count - 1).ToList();
            if (rest.Count > 0 && rest[0] is ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax first } assignment }
                && first.Identifier.ValueText == holder.Name)
            {
                // v = load;  →  T v = load;
                factory.Add(SyntaxFactory.LocalDeclarationStatement(SyntaxFactory.VariableDeclaration(typeSyntax.WithTrailingTrivia(SyntaxFactory.Space),
                        SyntaxFactory.SingletonSeparatedList(SyntaxFactory.VariableDeclarator(SyntaxFactory.Identifier(holder.Name))
                            .WithInitializer(SyntaxFactory.EqualsValueClause(assignment.Right.WithoutTrivia())))))
                    .WithTriviaFrom(rest[0]));
                rest.RemoveAt(0);
            }
            else
            {
                factory.Add(SyntaxFactory.ParseStatement($"{typeSyntax} {holder.Name};")
                    .WithTrailingTrivia(eol.IsKind(SyntaxKind.EndOfLineTrivia) ? eol : SyntaxFactory.LineFeed));
            }
            factory.AddRange(rest);
        }
        else
        {
            factory.AddRange(miss.Take(miss.Count - 2));
        }
        if (entryConfiguration is not null)
            factory.Add(entryConfiguration.WithTriviaFrom(miss[setIndex]));
        factory.Add(SyntaxFactory.ReturnStatement(stored.WithoutTrivia()));

        var lambda = SyntaxFactory.SimpleLambdaExpression(SyntaxFactory.Parameter(SyntaxFactory.Identifier(entryConfigured ? "entry" : "_")))
            .WithBlock(SyntaxFactory.Block(factory));
        if (hasAwait)
            lambda = lambda.WithAsyncKeyword(SyntaxFactory.Token(SyntaxKind.AsyncKeyword).WithTrailingTrivia(SyntaxFactory.Space));
        ExpressionSyntax call = SyntaxFactory.InvocationExpression(
            SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, cache.WithoutTrivia(),
                SyntaxFactory.GenericName(SyntaxFactory.Identifier(hasAwait ? "GetOrCreateSingleFlightAsync" : "GetOrCreateSingleFlight"))
                    .WithTypeArgumentList(SyntaxFactory.TypeArgumentList(SyntaxFactory.SingletonSeparatedList(typeSyntax)))),
            SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(new[] { SyntaxFactory.Argument(key.WithoutTrivia()), SyntaxFactory.Argument(lambda) })));
        if (hasAwait)
            call = SyntaxFactory.AwaitExpression(call);
        // A non-nullable value type or reference: GetOrCreate's TItem? is the cached value itself.
        var replacement = SyntaxFactory.ReturnStatement(methodSymbol.ReturnType.NullableAnnotation == NullableAnnotation.NotAnnotated && !valueType.IsValueType && !hasAwait
                ? SyntaxFactory.PostfixUnaryExpression(SyntaxKind.SuppressNullableWarningExpression, call)
                : call)
            .WithLeadingTrivia(check.GetLeadingTrivia())
            .WithAdditionalAnnotations(Formatter.Annotation, Rewritten);
        var statements = body.Statements.Take(index).ToList();
        statements.Add(replacement);
        var lastTrailing = body.Statements.Last().GetTrailingTrivia();
        statements[statements.Count - 1] = statements[statements.Count - 1].WithTrailingTrivia(lastTrailing);
        return new RewritePlan(body, body.WithStatements(SyntaxFactory.List(statements)));
    }

    private static StatementSyntax SetOptions(ExpressionSyntax options)
    {
        var statement = SyntaxFactory.ParseStatement("entry.SetOptions(__o);");
        return statement.ReplaceNode(statement.DescendantNodes().OfType<IdentifierNameSyntax>().Last(), options.WithoutTrivia());
    }

    /// <summary>
    /// What a factory may hold and the original ran on every miss: locals, assignments to locals,
    /// throws, and ifs of those. A call on a service as a statement (another write, a notification)
    /// would run once instead of once per miss: no fix.
    /// </summary>
    private static bool IsFactoryStatement(StatementSyntax statement, SemanticModel model, CancellationToken ct) => statement switch
    {
        LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0 } => true,
        ThrowStatementSyntax or EmptyStatementSyntax => true,
        BlockSyntax block => block.Statements.All(s => IsFactoryStatement(s, model, ct)),
        IfStatementSyntax ifStatement => IsFactoryStatement(ifStatement.Statement, model, ct) && (ifStatement.Else is null || IsFactoryStatement(ifStatement.Else.Statement, model, ct)),
        ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { Left: IdentifierNameSyntax target } } =>
            model.GetSymbolInfo(target, ct).Symbol is ILocalSymbol,
        _ => false,
    };

    private static StatementSyntax Assign(string property, ExpressionSyntax value) =>
        SyntaxFactory.ExpressionStatement(SyntaxFactory.AssignmentExpression(
            SyntaxKind.SimpleAssignmentExpression,
            SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, SyntaxFactory.IdentifierName("entry"), SyntaxFactory.IdentifierName(property)),
            value.WithoutTrivia()));

    /// <summary><c>v!</c> is <c>v</c> (the null-forgiving operator only silences a warning).</summary>
    private static ExpressionSyntax? StripBang(ExpressionSyntax? expression) =>
        expression is PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } bang ? bang.Operand : expression;

    private static ExpressionSyntax? SingleReturn(StatementSyntax statement) => statement switch
    {
        ReturnStatementSyntax { Expression: { } e } => e,
        BlockSyntax { Statements.Count: 1 } b => SingleReturn(b.Statements[0]),
        _ => null,
    };

    private static bool IsStable(ExpressionSyntax expression) =>
        !expression.DescendantNodesAndSelf().Any(n => n is AwaitExpressionSyntax or AssignmentExpressionSyntax or InvocationExpressionSyntax { Expression: not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ToString" } } or DeclarationExpressionSyntax
            or PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression }
            or PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression });

    private static async Task<bool> CompilesAsync(Document document, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || root.GetAnnotatedNodes(Rewritten).FirstOrDefault() is not { } statement)
            return false;
        var member = statement.Ancestors().FirstOrDefault(a => a is MemberDeclarationSyntax or LocalFunctionStatementSyntax) ?? statement;
        if (model.GetDiagnostics(member.Span, cancellationToken).Any(d => d.Severity == DiagnosticSeverity.Error))
            return false;
        var call = statement.DescendantNodes().OfType<InvocationExpressionSyntax>()
            .FirstOrDefault(i => i.Expression is MemberAccessExpressionSyntax { Name: GenericNameSyntax { Identifier.ValueText: "GetOrCreateSingleFlight" or "GetOrCreateSingleFlightAsync" } });
        return call is not null && model.GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol { ContainingAssembly.Name: "CacheGuard.Runtime" };
    }
}
