using System.Collections.Generic;
using System.Linq;
using System.Threading;
using CacheGuard.Analyzers.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;

namespace CacheGuard.CodeFixes;

/// <summary>
/// Plans the rewrite of a get-then-populate into the runtime's <c>GetOrSet</c>/<c>GetOrSetAsync</c>.
/// Only shapes it can map faithfully are planned: the read stored in a local of the method's body, a
/// hit check that returns the decoded value (or a miss block followed by that return), and a miss
/// path whose every populate is directly followed by <c>return</c> of the value it wrote. The miss
/// path becomes the factory; the populates' writes go (the runtime writes); "not found" sentinels
/// become <c>null</c> (the runtime caches them briefly); the populate's TTL is kept.
/// </summary>
internal sealed class GetOrSetRewrite
{
    private static readonly SyntaxAnnotation RewrittenAnnotation = new("CacheGuard.GetOrSet");

    private readonly BlockSyntax _body;
    private readonly int _firstReplaced;
    private readonly StatementSyntax _replacement;

    private GetOrSetRewrite(BlockSyntax body, int firstReplaced, StatementSyntax replacement)
    {
        _body = body;
        _firstReplaced = firstReplaced;
        _replacement = replacement;
    }

    /// <summary>The method body with the read and everything after it replaced by the GetOrSet call.</summary>
    public SyntaxNode Apply(SyntaxNode root)
    {
        var statements = _body.Statements.Take(_firstReplaced).ToList();
        statements.Add(_replacement);
        var newRoot = root.ReplaceNode(_body, _body.WithStatements(SyntaxFactory.List(statements)));
        return newRoot is CompilationUnitSyntax unit ? RuntimeUsings.Ensure(unit) : newRoot;
    }

    /// <summary>The rewritten statement in a root produced by <see cref="Apply"/>.</summary>
    public static SyntaxNode? FindRewritten(SyntaxNode root) => root.GetAnnotatedNodes(RewrittenAnnotation).FirstOrDefault();

    public static GetOrSetRewrite? TryPlan(InvocationExpressionSyntax read, SemanticModel model, double defaultTtlSeconds, CancellationToken cancellationToken)
    {
        var planner = new Planner(read, model, defaultTtlSeconds, cancellationToken);
        return planner.Plan();
    }

    private enum Encoding
    {
        /// <summary><c>JsonSerializer.Serialize(x)</c> / <c>JsonSerializer.Deserialize&lt;T&gt;(v)</c>.</summary>
        Json,
        /// <summary>A RedisValue conversion: <c>(int)v</c>, <c>v.ToString()</c>, <c>(string)v</c>.</summary>
        Primitive,
    }

    private sealed class Planner
    {
        private readonly InvocationExpressionSyntax _read;
        private readonly SemanticModel _model;
        private readonly double _defaultTtlSeconds;
        private readonly CancellationToken _ct;

        private ExpressionSyntax _database = null!;
        private ExpressionSyntax _key = null!;
        private ILocalSymbol? _holder;
        private bool _existsMode;
        /// <summary>IDistributedCache's GetString(Async)/SetString(Async), rewritten into the runtime's GetOrSetJson/GetOrSetString.</summary>
        private bool _distributed;
        private bool _holderIsString;
        /// <summary>The CancellationToken the read was given (IDistributedCache only), else null.</summary>
        private ExpressionSyntax? _readToken;
        private readonly List<object> _sentinels = new();

        public Planner(InvocationExpressionSyntax read, SemanticModel model, double defaultTtlSeconds, CancellationToken cancellationToken)
        {
            _read = read;
            _model = model;
            _defaultTtlSeconds = defaultTtlSeconds;
            _ct = cancellationToken;
        }

        public GetOrSetRewrite? Plan()
        {
            // 1. The read: db.StringGet(key) / await db.StringGetAsync(key)[.ConfigureAwait(x)], into a local;
            //    or if (db.KeyExists(key)) return ...db.StringGet(key)...;
            if (_read.Expression is not MemberAccessExpressionSyntax { Name: IdentifierNameSyntax name } access
                || name.Identifier.ValueText is not ("StringGet" or "StringGetAsync" or "KeyExists" or "KeyExistsAsync" or "GetString" or "GetStringAsync")
                || _read.ArgumentList.Arguments.Count is not (1 or 2) || _read.ArgumentList.Arguments.Any(a => a.NameColon is not null || a.RefKindKeyword != default)
                || !IsStableReceiver(access.Expression))
            {
                return null;
            }
            var receiverType = _model.GetTypeInfo(access.Expression, _ct).Type?.ToDisplayString();
            _distributed = name.Identifier.ValueText.StartsWith("GetString", System.StringComparison.Ordinal);
            if (receiverType != (_distributed ? "Microsoft.Extensions.Caching.Distributed.IDistributedCache" : "StackExchange.Redis.IDatabase"))
                return null;
            // GetStringAsync(key, token): the token goes to GetOrSet (it cancels its read, wait and write as it
            // cancelled the replaced read). It must be side-effect free to be evaluated once in its new place.
            if (_read.ArgumentList.Arguments.Count == 2)
            {
                var token = _read.ArgumentList.Arguments[1].Expression;
                if (!_distributed
                    || _model.GetTypeInfo(token, _ct).Type?.ToDisplayString() != "System.Threading.CancellationToken"
                    || !IsTokenExpression(token))
                {
                    return null;
                }
                _readToken = token;
            }
            _database = access.Expression;
            _key = _read.ArgumentList.Arguments[0].Expression;
            var readIsAsync = name.Identifier.ValueText.EndsWith("Async", System.StringComparison.Ordinal);
            _existsMode = name.Identifier.ValueText.StartsWith("KeyExists", System.StringComparison.Ordinal);

            SyntaxNode node = _read;
            ExpressionSyntax? configureAwait = null;
            if (node.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } ca
                && ca.Parent is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 1 } caCall)
            {
                configureAwait = caCall.ArgumentList.Arguments[0].Expression;
                node = caCall;
            }
            if (readIsAsync)
            {
                if (node.Parent is not AwaitExpressionSyntax awaitExpression)
                    return null;
                node = awaitExpression;
            }
            StatementSyntax readStatement;
            BlockSyntax body;
            int firstHitStatement;
            if (_existsMode)
            {
                // if (exists) ... / if (!exists) ...: the region starts at the if.
                if (node.Parent is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalNotExpression } not)
                    node = not;
                if (node.Parent is not IfStatementSyntax existsCheck || existsCheck.Condition != node || existsCheck.Parent is not BlockSyntax existsBody)
                    return null;
                readStatement = existsCheck;
                body = existsBody;
                firstHitStatement = body.Statements.IndexOf(existsCheck);
            }
            else
            {
                if (node.Parent is not EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
                    || declarator.Parent is not VariableDeclarationSyntax { Variables.Count: 1 }
                    || declarator.Parent.Parent is not LocalDeclarationStatementSyntax declaration
                    || declaration.UsingKeyword != default || declaration.IsConst
                    || declaration.Parent is not BlockSyntax declarationBody
                    || _model.GetDeclaredSymbol(declarator, _ct) is not ILocalSymbol holder)
                {
                    return null;
                }
                _holder = holder;
                var holderType = holder.Type.ToDisplayString();
                _holderIsString = holder.Type.SpecialType == SpecialType.System_String;
                if (!_holderIsString && (_distributed || holderType != "StackExchange.Redis.RedisValue"))
                    return null;
                readStatement = declaration;
                body = declarationBody;
                firstHitStatement = body.Statements.IndexOf(declaration) + 1;
            }

            // 2. The method: its value type, async or not.
            TypeSyntax? returnTypeSyntax;
            bool methodIsAsync;
            IMethodSymbol? methodSymbol;
            switch (body.Parent)
            {
                case MethodDeclarationSyntax method:
                    returnTypeSyntax = method.ReturnType;
                    methodIsAsync = method.Modifiers.Any(SyntaxKind.AsyncKeyword);
                    methodSymbol = _model.GetDeclaredSymbol(method, _ct);
                    break;
                case LocalFunctionStatementSyntax local:
                    returnTypeSyntax = local.ReturnType;
                    methodIsAsync = local.Modifiers.Any(SyntaxKind.AsyncKeyword);
                    methodSymbol = _model.GetDeclaredSymbol(local, _ct) as IMethodSymbol;
                    break;
                case AnonymousFunctionExpressionSyntax enclosing when enclosing.Block == body:
                    // A lambda (minimal API handler, pipeline step): its return type is inferred, name it.
                    methodSymbol = _model.GetSymbolInfo(enclosing, _ct).Symbol as IMethodSymbol;
                    methodIsAsync = enclosing.AsyncKeyword.IsKind(SyntaxKind.AsyncKeyword);
                    returnTypeSyntax = methodSymbol is null || methodSymbol.ReturnsVoid
                        ? null
                        : SyntaxFactory.ParseTypeName(methodSymbol.ReturnType.ToMinimalDisplayString(_model, enclosing.SpanStart));
                    break;
                default:
                    return null;
            }
            if (methodSymbol is null || returnTypeSyntax is null || methodSymbol.ContainingType is { TypeKind: TypeKind.Struct })
                return null;
            TypeSyntax valueTypeSyntax;
            ITypeSymbol valueType;
            if (methodIsAsync)
            {
                if (UnwrapTaskSyntax(returnTypeSyntax) is not { } inner
                    || methodSymbol.ReturnType is not INamedTypeSymbol { TypeArguments.Length: 1 } taskType)
                {
                    return null;
                }
                valueTypeSyntax = inner;
                valueType = taskType.TypeArguments[0];
            }
            else
            {
                if (methodSymbol.ReturnsVoid || UnwrapTaskSyntax(returnTypeSyntax) is not null || readIsAsync)
                    return null;
                valueTypeSyntax = returnTypeSyntax;
                valueType = methodSymbol.ReturnType;
            }

            // 3. The hit handling and the miss path.
            var index = body.Statements.IndexOf(readStatement);
            var rest = body.Statements.Skip(firstHitStatement).ToList();
            ExpressionSyntax? decode = null;
            ExpressionSyntax? hitCondition = null;
            List<StatementSyntax>? miss = null;
            BlockSyntax? missContainer = null;
            var i = 0;
            while (i < rest.Count && decode is null)
            {
                if (rest[i] is not IfStatementSyntax check)
                    return null;
                var polarity = Classify(check.Condition);
                if (check.Else is null && SingleReturn(check.Statement) is { } returned)
                {
                    if (IsSentinelCheck(check.Condition, returned))
                    {
                        i++;
                        continue;
                    }
                    if (polarity != MissPolarity.Hit)
                        return null;
                    decode = returned;
                    hitCondition = check.Condition;
                    miss = rest.Skip(i + 1).ToList();
                    missContainer = body;
                    break;
                }
                if (polarity == MissPolarity.Miss && check.Statement is BlockSyntax missBlock)
                {
                    // if (miss) { ... } return decode;   or   if (miss) { ... } else return decode;
                    if (check.Else is { } elseClause && i == rest.Count - 1)
                        decode = SingleReturn(elseClause.Statement);
                    else if (check.Else is null && i == rest.Count - 2)
                        decode = (rest[i + 1] as ReturnStatementSyntax)?.Expression;
                    if (decode is null || !MiniChecks.Exits(missBlock))
                        return null;
                    hitCondition = check.Condition;
                    miss = missBlock.Statements.ToList();
                    missContainer = missBlock;
                    break;
                }
                return null;
            }
            if (decode is null || miss is null || missContainer is null || miss.Count == 0)
                return null;

            // 4. The encoding the hit path decodes, and whether it is the method's value type.
            if (DecodeEncoding(decode, valueType) is not { } encoding)
                return null;
            // A string cached as itself whose hit check takes "" for a miss (string.IsNullOrEmpty(s)): the
            // replaced code reloads an empty value on every read, the runtime would serve it as a hit. No fix.
            // (A JSON value is never "", so the same check on a JSON entry changes nothing.)
            if (encoding == Encoding.Primitive && hitCondition is not null && TreatsEmptyAsMiss(hitCondition)
                && _model.GetTypeInfo(Strip(decode), _ct) is var decodedInfo
                && OperationFacts.StripNullable(decodedInfo.ConvertedType ?? decodedInfo.Type ?? valueType).SpecialType == SpecialType.System_String)
            {
                return null;
            }

            // 5. The miss path: every populate followed by the return of what it wrote.
            var missSpan = Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(miss[0].SpanStart, miss[miss.Count - 1].Span.End);
            if (!MissPathIsMappable(miss, missSpan, encoding, out var removedWrites, out var ttl, out var hasAwait))
                return null;

            var useAsync = readIsAsync || hasAwait;
            if (useAsync && !methodIsAsync)
                return null;

            // 6. Build: return [await] db.GetOrSet[Async]<T>(key, [async] ct => { miss }, ttl[, cancellationToken]);
            var parameterName = PickName(readStatement.SpanStart, miss);
            var newContainer = missContainer.RemoveNodes(removedWrites, SyntaxRemoveOptions.KeepNoTrivia)!;
            var firstMiss = missContainer == body ? body.Statements.IndexOf(miss[0]) : 0;
            var factoryStatements = newContainer.Statements.Skip(firstMiss).ToList();
            if (useAsync && !hasAwait)
                factoryStatements = factoryStatements.Select(s => WrapReturns(s, valueTypeSyntax)).ToList();

            var lambda = SyntaxFactory.SimpleLambdaExpression(
                    SyntaxFactory.Parameter(SyntaxFactory.Identifier(parameterName)))
                .WithBlock(SyntaxFactory.Block(factoryStatements));
            if (useAsync && hasAwait)
                lambda = lambda.WithAsyncKeyword(SyntaxFactory.Token(SyntaxKind.AsyncKeyword).WithTrailingTrivia(SyntaxFactory.Space));

            var arguments = new List<ArgumentSyntax>
            {
                SyntaxFactory.Argument(_key.WithoutTrivia()),
                SyntaxFactory.Argument(lambda),
                SyntaxFactory.Argument(ttl ?? (_distributed
                    ? DefaultDistributedOptions(_defaultTtlSeconds)
                    : PopulateWithoutExpiryCodeFix.TimeSpanFromSeconds(_defaultTtlSeconds))),
            };
            if (_readToken is not null)
            {
                if (!IsDefaultToken(_readToken))
                    arguments.Add(SyntaxFactory.Argument(SyntaxFactory.NameColon("cancellationToken"), default, _readToken.WithoutTrivia()));
            }
            else if (CancellationParameter(methodSymbol) is { } tokenName)
            {
                arguments.Add(_distributed
                    ? SyntaxFactory.Argument(SyntaxFactory.NameColon("cancellationToken"), default, SyntaxFactory.IdentifierName(tokenName))
                    : SyntaxFactory.Argument(SyntaxFactory.IdentifierName(tokenName)));
            }

            // IDistributedCache: JSON values through GetOrSetJson, strings stored as themselves through GetOrSetString.
            var methodName = _distributed
                ? (encoding == Encoding.Json ? "GetOrSetJson" : "GetOrSetString") + (useAsync ? "Async" : "")
                : useAsync ? "GetOrSetAsync" : "GetOrSet";
            SimpleNameSyntax methodNameSyntax = _distributed && encoding != Encoding.Json
                ? SyntaxFactory.IdentifierName(methodName)
                : SyntaxFactory.GenericName(SyntaxFactory.Identifier(methodName))
                    .WithTypeArgumentList(SyntaxFactory.TypeArgumentList(SyntaxFactory.SingletonSeparatedList(valueTypeSyntax.WithoutTrivia())));
            ExpressionSyntax call = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, _database.WithoutTrivia(), methodNameSyntax),
                SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(arguments)));
            if (useAsync)
            {
                if (configureAwait is not null)
                {
                    call = SyntaxFactory.InvocationExpression(
                        SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, call, SyntaxFactory.IdentifierName("ConfigureAwait")),
                        SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(configureAwait.WithoutTrivia()))));
                }
                call = SyntaxFactory.AwaitExpression(call);
            }

            // GetOrSetJson(Async) returns T?: a method declared to return a non-nullable T (whose hit path
            // already asserted it, `Deserialize<T>(s)!`) keeps its declaration without a new warning.
            if (_distributed && valueType is { IsReferenceType: true, NullableAnnotation: NullableAnnotation.NotAnnotated })
            {
                call = SyntaxFactory.PostfixUnaryExpression(SyntaxKind.SuppressNullableWarningExpression,
                    useAsync ? SyntaxFactory.ParenthesizedExpression(call) : call);
            }

            var replacement = SyntaxFactory.ReturnStatement(call)
                .WithLeadingTrivia(readStatement.GetLeadingTrivia())
                .WithTrailingTrivia(EndOfLine(body))
                .WithAdditionalAnnotations(Formatter.Annotation, RewrittenAnnotation);
            return new GetOrSetRewrite(body, index, replacement);
        }

        /// <summary><c>new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(n) }</c> (the runtime jitters it).</summary>
        private static ExpressionSyntax DefaultDistributedOptions(double seconds)
        {
            var creation = (ObjectCreationExpressionSyntax)SyntaxFactory.ParseExpression(
                "new global::Microsoft.Extensions.Caching.Distributed.DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = __ttl }");
            creation = creation.WithType(creation.Type.WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation));
            var placeholder = creation.DescendantNodes().OfType<IdentifierNameSyntax>().Single(n => n.Identifier.ValueText == "__ttl");
            return creation.ReplaceNode(placeholder, PopulateWithoutExpiryCodeFix.TimeSpanFromSeconds(seconds));
        }

        private static SyntaxTrivia EndOfLine(SyntaxNode node) =>
            node.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia)) is { RawKind: (int)SyntaxKind.EndOfLineTrivia } eol
                ? eol
                : SyntaxFactory.LineFeed;

        private MissPolarity Classify(ExpressionSyntax condition)
        {
            // Only a single test maps faithfully: no && / ||.
            if (condition.DescendantNodesAndSelf().Any(n => n.IsKind(SyntaxKind.LogicalAndExpression) || n.IsKind(SyntaxKind.LogicalOrExpression)))
                return MissPolarity.None;
            if (_model.GetOperation(_read, _ct) is not IInvocationOperation readOperation
                || _model.GetOperation(condition, _ct) is not { } conditionOperation)
            {
                return MissPolarity.None;
            }
            var polarity = ReadResult.Of(readOperation).Classify(conditionOperation);
            // The test must be on the read's own local (not a value derived from it).
            var testsHolder = _existsMode
                ? condition.DescendantNodesAndSelf().Contains(_read)
                : condition.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>()
                    .Any(id => SymbolEqualityComparer.Default.Equals(_model.GetSymbolInfo(id, _ct).Symbol, _holder));
            return testsHolder ? polarity : MissPolarity.None;
        }

        /// <summary>The check tells "" (or whitespace) apart from a value: IsNullOrEmpty, IsNullOrWhiteSpace, a length, a comparison with "".</summary>
        private bool TreatsEmptyAsMiss(ExpressionSyntax condition)
        {
            foreach (var node in condition.DescendantNodesAndSelf())
            {
                switch (node)
                {
                    case IdentifierNameSyntax { Identifier.ValueText: "IsNullOrEmpty" or "IsNullOrWhiteSpace" or "Length" or "IsEmpty" or "EmptyString" or "Empty" }:
                        return true;
                    case LiteralExpressionSyntax { RawKind: (int)SyntaxKind.StringLiteralExpression } literal when literal.Token.ValueText.Length == 0:
                        return true;
                }
            }
            return false;
        }

        /// <summary><c>if (v == Missing) return null;</c>: a cached "not found" sentinel.</summary>
        private bool IsSentinelCheck(ExpressionSyntax condition, ExpressionSyntax returned)
        {
            if (condition is not BinaryExpressionSyntax { RawKind: (int)SyntaxKind.EqualsExpression } equals || !IsNullLiteral(returned))
                return false;
            ExpressionSyntax? other = IsHolder(equals.Left) ? equals.Right : IsHolder(equals.Right) ? equals.Left : null;
            if (other is null || _model.GetConstantValue(other, _ct) is not { HasValue: true, Value: { } value })
                return false;
            _sentinels.Add(value);
            return true;
        }

        private bool IsHolder(ExpressionSyntax expression)
        {
            expression = Strip(expression);
            if (!_existsMode)
                return expression is IdentifierNameSyntax id && SymbolEqualityComparer.Default.Equals(_model.GetSymbolInfo(id, _ct).Symbol, _holder);

            // After KeyExists: the value read again, db.StringGet(key) / await db.StringGetAsync(key)[.ConfigureAwait(x)].
            if (expression is AwaitExpressionSyntax awaited)
                expression = Strip(awaited.Expression);
            if (expression is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } configured })
                expression = Strip(configured.Expression);
            return expression is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "StringGet" or "StringGetAsync" } get } call
                   && call.ArgumentList.Arguments.Count == 1
                   && SyntaxFactory.AreEquivalent(Strip(get.Expression), Strip(_database))
                   && SyntaxFactory.AreEquivalent(Strip(call.ArgumentList.Arguments[0].Expression), Strip(_key));
        }

        private Encoding? DecodeEncoding(ExpressionSyntax decode, ITypeSymbol valueType)
        {
            var expression = Strip(decode);
            if (expression is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 1 } invocation
                && _model.GetSymbolInfo(invocation, _ct).Symbol is IMethodSymbol { Name: "Deserialize", TypeArguments.Length: 1 } deserialize
                && deserialize.ContainingType.ToDisplayString() == "System.Text.Json.JsonSerializer")
            {
                var argument = invocation.ArgumentList.Arguments[0];
                if (argument.NameColon is not null || !IsHolderAsText(argument.Expression))
                    return null;
                // A string the replaced code stored as JSON ("\"abc\"") the runtime stores raw (abc): no fix.
                if (OperationFacts.StripNullable(deserialize.TypeArguments[0]).SpecialType == SpecialType.System_String)
                    return null;
                return SameValueType(deserialize.TypeArguments[0], valueType) ? Encoding.Json : null;
            }

            // (int)v, (string)v, v.ToString(), or a string holder itself.
            var primitive = expression switch
            {
                CastExpressionSyntax cast when !_holderIsString && IsHolder(cast.Expression) => true,
                InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ToString" } m, ArgumentList.Arguments.Count: 0 } when IsHolder(m.Expression) => true,
                _ when (_holderIsString || _existsMode) && IsHolder(expression) => true,
                _ => false,
            };
            // A bare RedisValue returned as the method's string/number converts implicitly: take the converted type.
            var typeInfo = _model.GetTypeInfo(Strip(decode), _ct);
            var decodedType = IsPrimitive(typeInfo.Type) ? typeInfo.Type : typeInfo.ConvertedType;
            if (!primitive || decodedType is null || !IsPrimitive(decodedType))
                return null;
            // Values the runtime's serializer stores in other bytes than the replaced code did: a
            // bool as true (RedisValue: 1), a double or float in another format. Whole numbers keep their
            // bytes; strings are stored as raw UTF-8, as RedisValue stores them (DECISIONS.md, fixes 14:25).
            // IDistributedCache strings go through GetOrSetString, stored as themselves.
            var special = OperationFacts.StripNullable(decodedType).SpecialType;
            if (_distributed
                    ? special != SpecialType.System_String
                    : special is not (SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_String))
            {
                return null;
            }
            return SameValueType(decodedType, valueType) ? Encoding.Primitive : null;
        }

        /// <summary>v, v!, (string)v, (string?)v, (byte[])v, v.ToString(), or the string holder.</summary>
        private bool IsHolderAsText(ExpressionSyntax expression)
        {
            expression = Strip(expression);
            if (IsHolder(expression))
                return true;
            if (expression is CastExpressionSyntax cast && IsHolder(cast.Expression))
            {
                var type = _model.GetTypeInfo(cast.Type, _ct).Type;
                return type?.SpecialType == SpecialType.System_String || type is IArrayTypeSymbol { ElementType.SpecialType: SpecialType.System_Byte };
            }
            return expression is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ToString" } m, ArgumentList.Arguments.Count: 0 }
                   && IsHolder(m.Expression);
        }

        private bool MissPathIsMappable(
            List<StatementSyntax> miss,
            Microsoft.CodeAnalysis.Text.TextSpan missSpan,
            Encoding encoding,
            out List<SyntaxNode> removedWrites,
            out ExpressionSyntax? ttl,
            out bool hasAwait)
        {
            removedWrites = new List<SyntaxNode>();
            ttl = null;
            hasAwait = false;
            var mappedReturns = new HashSet<ReturnStatementSyntax>();
            var positive = 0;
            ExpressionSyntax? firstTtl = null;
            var ttlSeen = false;

            foreach (var statement in miss)
            {
                foreach (var node in statement.DescendantNodesAndSelf(n => !IsNestedFunction(n)))
                {
                    switch (node)
                    {
                        case AwaitExpressionSyntax:
                            hasAwait = true;
                            break;
                        case ForEachStatementSyntax { AwaitKeyword.RawKind: (int)SyntaxKind.AwaitKeyword }:
                        case UsingStatementSyntax { AwaitKeyword.RawKind: (int)SyntaxKind.AwaitKeyword }:
                        case LocalDeclarationStatementSyntax { AwaitKeyword.RawKind: (int)SyntaxKind.AwaitKeyword }:
                            hasAwait = true;
                            break;
                        case YieldStatementSyntax or GotoStatementSyntax or LabeledStatementSyntax:
                            return false;
                        case IdentifierNameSyntax id when !CapturableInLambda(id, missSpan):
                            return false;
                    }
                }
            }

            // Every cache call on the key in the miss path must be a populate we can map.
            foreach (var statement in miss)
            {
                foreach (var invocation in statement.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>())
                {
                    if (_model.GetSymbolInfo(invocation, _ct).Symbol is not IMethodSymbol method
                        || method.ContainingNamespace?.ToDisplayString() != (_distributed ? "Microsoft.Extensions.Caching.Distributed" : "StackExchange.Redis")
                        || invocation.ArgumentList.Arguments.Count == 0
                        || !SyntaxFactory.AreEquivalent(Strip(invocation.ArgumentList.Arguments[0].Expression), Strip(_key)))
                    {
                        continue;
                    }
                    if (!(_distributed ? method.Name is "SetString" or "SetStringAsync" : method.Name is "StringSet" or "StringSetAsync")
                        || WriteStatement(invocation) is not { } writeStatement)
                    {
                        return false;
                    }
                    // The statement that goes with the write: the write itself, or `if (x != null) { write }`
                    // when that is all the if does (the runtime caches a null itself, briefly).
                    StatementSyntax removed = writeStatement;
                    var guard = NullGuardAround(writeStatement);
                    if (guard is not null)
                        removed = guard.Statement;
                    if (removed.Parent is not BlockSyntax block)
                        return false;
                    var next = block.Statements.IndexOf(removed) + 1;
                    if (next >= block.Statements.Count || block.Statements[next] is not ReturnStatementSyntax { Expression: { } returned } returnStatement)
                        return false;
                    if (guard is not null && !SyntaxFactory.AreEquivalent(Strip(guard.Subject), Strip(returned)))
                        return false;
                    if (!WriteArguments(invocation, out var value, out var expiry))
                        return false;

                    if (IsNullLiteral(returned))
                    {
                        // A "not found" sentinel: the runtime caches null itself (briefly).
                        if (_model.GetConstantValue(value, _ct) is not { HasValue: true, Value: { } constant } || !_sentinels.Contains(constant))
                            return false;
                    }
                    else
                    {
                        if (!Encodes(value, returned, encoding))
                        {
                            // var json = JsonSerializer.Serialize(post); db.StringSet(key, json); return post;
                            if (SerializedLocal(value, missSpan, miss) is not { } local
                                || !Encodes(local.Initializer, returned, encoding))
                            {
                                return false;
                            }
                            if (local.OnlyUse)
                                removedWrites.Add(local.Declaration);
                        }
                        if (expiry is not null && ReferencesLocalsIn(expiry, missSpan))
                            return false;
                        if (!ttlSeen)
                        {
                            firstTtl = expiry;
                            ttlSeen = true;
                        }
                        else if (!SameOrBothNull(firstTtl, expiry))
                        {
                            return false;
                        }
                        positive++;
                    }
                    removedWrites.Add(removed);
                    mappedReturns.Add(returnStatement);
                }
            }
            if (positive == 0)
                return false;

            // Whatever else the miss path does must be the factory itself: no other side effects.
            foreach (var statement in miss)
            {
                if (!IsFactoryStatement(statement, missSpan, removedWrites))
                    return false;
            }

            // Returns that write nothing return "not found" (the runtime caches it briefly).
            foreach (var statement in miss)
            {
                foreach (var returnStatement in statement.DescendantNodesAndSelf(n => !IsNestedFunction(n)).OfType<ReturnStatementSyntax>())
                {
                    if (!mappedReturns.Contains(returnStatement) && (returnStatement.Expression is null || !IsNullLiteral(returnStatement.Expression)))
                        return false;
                }
            }
            if (!MiniChecks.ExitsAll(miss))
                return false;

            ttl = firstTtl?.WithoutTrivia();
            return true;
        }

        private sealed class NullGuard
        {
            public NullGuard(IfStatementSyntax statement, ExpressionSyntax subject)
            {
                Statement = statement;
                Subject = subject;
            }

            public IfStatementSyntax Statement { get; }
            public ExpressionSyntax Subject { get; }
        }

        /// <summary><c>if (x != null) { write; }</c> / <c>if (x is not null) write;</c> with nothing else in it: the guard and x.</summary>
        private static NullGuard? NullGuardAround(StatementSyntax write)
        {
            var guard = write.Parent switch
            {
                IfStatementSyntax direct when direct.Statement == write => direct,
                BlockSyntax { Statements.Count: 1, Parent: IfStatementSyntax viaBlock } => viaBlock,
                _ => null,
            };
            if (guard is null || guard.Else is not null)
                return null;
            var subject = Strip(guard.Condition) switch
            {
                BinaryExpressionSyntax { RawKind: (int)SyntaxKind.NotEqualsExpression } notEquals when IsNullLiteral(notEquals.Right) => notEquals.Left,
                BinaryExpressionSyntax { RawKind: (int)SyntaxKind.NotEqualsExpression } notEquals when IsNullLiteral(notEquals.Left) => notEquals.Right,
                IsPatternExpressionSyntax { Pattern: UnaryPatternSyntax { Pattern: ConstantPatternSyntax { Expression: var constant } } } isNot when IsNullLiteral(constant) => isNot.Expression,
                IsPatternExpressionSyntax { Pattern: RecursivePatternSyntax { PositionalPatternClause: null, PropertyPatternClause.Subpatterns.Count: 0, Designation: null, Type: null } } isObject => isObject.Expression,
                _ => null,
            };
            return subject is null ? null : new NullGuard(guard, subject);
        }

        private sealed class LocalValue
        {
            public LocalValue(ExpressionSyntax initializer, LocalDeclarationStatementSyntax declaration, bool onlyUse)
            {
                Initializer = initializer;
                Declaration = declaration;
                OnlyUse = onlyUse;
            }

            public ExpressionSyntax Initializer { get; }
            public LocalDeclarationStatementSyntax Declaration { get; }
            public bool OnlyUse { get; }
        }

        /// <summary>A local of the miss path the write stores, with its single initializer; OnlyUse when the write is its one use.</summary>
        private LocalValue? SerializedLocal(ExpressionSyntax value, Microsoft.CodeAnalysis.Text.TextSpan missSpan, List<StatementSyntax> miss)
        {
            if (Strip(value) is not IdentifierNameSyntax id
                || _model.GetSymbolInfo(id, _ct).Symbol is not ILocalSymbol local
                || local.DeclaringSyntaxReferences.Length != 1
                || local.DeclaringSyntaxReferences[0].GetSyntax(_ct) is not VariableDeclaratorSyntax { Initializer.Value: { } initializer } declarator
                || !missSpan.Contains(declarator.Span)
                || declarator.Parent is not VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax declaration })
            {
                return null;
            }
            var uses = miss.Sum(statement => statement.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>()
                .Count(other => other.Identifier.ValueText == id.Identifier.ValueText
                                && SymbolEqualityComparer.Default.Equals(_model.GetSymbolInfo(other, _ct).Symbol, local)));
            return new LocalValue(initializer, declaration, uses == 1);
        }

        /// <summary>The write's value and TimeSpan expiry; false for flags, conditions or expiry forms GetOrSet can't take.</summary>
        private bool WriteArguments(InvocationExpressionSyntax write, out ExpressionSyntax value, out ExpressionSyntax? expiry)
        {
            value = null!;
            expiry = null;
            if (_model.GetOperation(write, _ct) is not IInvocationOperation operation)
                return false;
            if (_distributed)
                return DistributedWriteArguments(write, operation, out value, out expiry);
            var arguments = write.ArgumentList.Arguments;
            if (arguments.Count < 2 || arguments[0].NameColon is not null || arguments[1].NameColon is not null)
                return false;
            if (!SyntaxFactory.AreEquivalent(Strip(operation.Instance?.Syntax as ExpressionSyntax ?? _read), Strip(_database)))
                return false;
            value = arguments[1].Expression;
            foreach (var argument in operation.Arguments)
            {
                if (argument.ArgumentKind != ArgumentKind.Explicit || argument.Parameter is not { } parameter || parameter.Ordinal < 2)
                    continue;
                var type = OperationFacts.StripNullable(parameter.Type).ToDisplayString();
                var inner = OperationFacts.UnwrapImplicit(argument.Value);
                switch (type)
                {
                    case "System.TimeSpan":
                    case "StackExchange.Redis.Expiration":
                        if (OperationFacts.IsNullOrDefault(argument.Value))
                            break;
                        // The runtime jitters the TTL itself: CacheTtl.Jitter(x) becomes x.
                        if (inner is IInvocationOperation { TargetMethod: { Name: "Jitter", ContainingType.Name: "CacheTtl" } jitter, Arguments.Length: 1 } jittered
                            && CacheApi.IsRuntimeSymbol(jitter))
                        {
                            inner = OperationFacts.UnwrapImplicit(jittered.Arguments[0].Value);
                        }
                        if (inner.Type?.ToDisplayString() != "System.TimeSpan" || inner.Syntax is not ExpressionSyntax ttl)
                            return false;
                        expiry = ttl;
                        break;
                    case "StackExchange.Redis.When":
                    case "StackExchange.Redis.ValueCondition":
                        if (inner is not IMemberReferenceOperation { Member.Name: "Always" })
                            return false;
                        break;
                    case "StackExchange.Redis.CommandFlags":
                        // How the write is sent, not what is cached: GetOrSet writes the entry itself.
                        if (inner is not IMemberReferenceOperation { Member.Name: "None" or "FireAndForget" })
                            return false;
                        break;
                    case "System.Boolean" when parameter.Name == "keepTtl":
                        if (inner.ConstantValue is not { HasValue: true, Value: false })
                            return false;
                        break;
                    default:
                        return false;
                }
            }
            return true;
        }

        /// <summary>SetString(Async)(key, value[, options][, token]) on the read's cache: the value and the options expression.</summary>
        private bool DistributedWriteArguments(InvocationExpressionSyntax write, IInvocationOperation operation, out ExpressionSyntax value, out ExpressionSyntax? options)
        {
            value = null!;
            options = null;
            var arguments = write.ArgumentList.Arguments;
            if (arguments.Count < 2 || arguments.Any(a => a.NameColon is not null)
                || write.Expression is not MemberAccessExpressionSyntax access
                || !SyntaxFactory.AreEquivalent(Strip(access.Expression), Strip(_database)))
            {
                return false;
            }
            value = arguments[1].Expression;
            foreach (var argument in operation.Arguments)
            {
                if (argument.ArgumentKind != ArgumentKind.Explicit || argument.Parameter is not { } parameter || argument.Syntax is not ArgumentSyntax syntax)
                    continue;
                switch (OperationFacts.StripNullable(parameter.Type).ToDisplayString())
                {
                    case "Microsoft.Extensions.Caching.Distributed.DistributedCacheEntryOptions":
                        options = syntax.Expression;
                        break;
                    case "System.Threading.CancellationToken":
                        break; // the factory gets the caller's token through GetOrSet
                    case "string" when parameter.Name is "key" or "value":
                    case "Microsoft.Extensions.Caching.Distributed.IDistributedCache":
                        break;
                    default:
                        return false;
                }
            }
            return true;
        }

        /// <summary>The write stores the value the next statement returns.</summary>
        private bool Encodes(ExpressionSyntax value, ExpressionSyntax returned, Encoding encoding)
        {
            value = Strip(value);
            returned = Strip(returned);
            if (encoding == Encoding.Primitive)
                return SyntaxFactory.AreEquivalent(value, returned);
            return value is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 1 } serialize
                   && _model.GetSymbolInfo(serialize, _ct).Symbol is IMethodSymbol { Name: "Serialize" } method
                   && method.ContainingType.ToDisplayString() == "System.Text.Json.JsonSerializer"
                   && serialize.ArgumentList.Arguments[0].NameColon is null
                   && SyntaxFactory.AreEquivalent(Strip(serialize.ArgumentList.Arguments[0].Expression), returned);
        }

        /// <summary>
        /// Statements the factory may hold: locals, assignments to them, calls on them, logging, control
        /// flow, returns and throws. A call on a service, another cache write, a database write is a side
        /// effect the miss branch had on every miss and the factory would have once: no fix.
        /// </summary>
        private bool IsFactoryStatement(StatementSyntax statement, Microsoft.CodeAnalysis.Text.TextSpan missSpan, List<SyntaxNode> removed)
        {
            if (removed.Contains(statement))
                return true;
            switch (statement)
            {
                case BlockSyntax block:
                    return block.Statements.All(s => IsFactoryStatement(s, missSpan, removed));
                case LocalDeclarationStatementSyntax:
                case ReturnStatementSyntax:
                case ThrowStatementSyntax:
                case EmptyStatementSyntax:
                    return true;
                case BreakStatementSyntax:
                case ContinueStatementSyntax:
                    return statement.Ancestors().TakeWhile(a => missSpan.Contains(a.Span)).Any(a => a is ForEachStatementSyntax or ForStatementSyntax or WhileStatementSyntax or DoStatementSyntax or SwitchStatementSyntax);
                case IfStatementSyntax ifStatement:
                    return IsFactoryStatement(ifStatement.Statement, missSpan, removed)
                           && (ifStatement.Else is null || IsFactoryStatement(ifStatement.Else.Statement, missSpan, removed));
                case ForEachStatementSyntax forEach:
                    return IsFactoryStatement(forEach.Statement, missSpan, removed);
                case ForStatementSyntax forStatement:
                    return IsFactoryStatement(forStatement.Statement, missSpan, removed);
                case WhileStatementSyntax whileStatement:
                    return IsFactoryStatement(whileStatement.Statement, missSpan, removed);
                case UsingStatementSyntax usingStatement:
                    return IsFactoryStatement(usingStatement.Statement, missSpan, removed);
                case ExpressionStatementSyntax expressionStatement:
                    return removed.Contains(statement) || IsFactoryExpression(expressionStatement.Expression, missSpan);
                default:
                    return false;
            }
        }

        private bool IsFactoryExpression(ExpressionSyntax expression, Microsoft.CodeAnalysis.Text.TextSpan missSpan)
        {
            expression = Strip(expression);
            if (expression is AwaitExpressionSyntax awaited)
                expression = Strip(awaited.Expression);
            switch (expression)
            {
                case AssignmentExpressionSyntax assignment:
                    return IsLocalOfMiss(assignment.Left, missSpan);
                case PostfixUnaryExpressionSyntax postfix:
                    return IsLocalOfMiss(postfix.Operand, missSpan);
                case PrefixUnaryExpressionSyntax prefix:
                    return IsLocalOfMiss(prefix.Operand, missSpan);
                case InvocationExpressionSyntax invocation:
                    if (_model.GetSymbolInfo(invocation, _ct).Symbol is IMethodSymbol method
                        && (method.ContainingNamespace?.ToDisplayString() ?? "").StartsWith("Microsoft.Extensions.Logging", System.StringComparison.Ordinal))
                    {
                        return true; // a log line: observability, not behaviour
                    }
                    if (_model.GetSymbolInfo(invocation, _ct).Symbol is IMethodSymbol { Name: "ThrowIfCancellationRequested" })
                        return true;
                    return invocation.Expression is MemberAccessExpressionSyntax member && IsLocalOfMiss(member.Expression, missSpan);
                default:
                    return false;
            }
        }

        /// <summary>A local declared in the miss path, or a member of one (<c>post.Tags</c>, <c>list</c>).</summary>
        private bool IsLocalOfMiss(ExpressionSyntax expression, Microsoft.CodeAnalysis.Text.TextSpan missSpan)
        {
            while (true)
            {
                switch (Strip(expression))
                {
                    case MemberAccessExpressionSyntax member:
                        expression = member.Expression;
                        continue;
                    case ElementAccessExpressionSyntax element:
                        expression = element.Expression;
                        continue;
                    case IdentifierNameSyntax id:
                        return _model.GetSymbolInfo(id, _ct).Symbol is ILocalSymbol local
                               && local.DeclaringSyntaxReferences.Any(r => missSpan.Contains(r.Span));
                    default:
                        return false;
                }
            }
        }

        /// <summary>False for what a lambda can't capture or must not see: the read's local, ref/out/in parameters, ref locals, spans.</summary>
        private bool CapturableInLambda(IdentifierNameSyntax id, Microsoft.CodeAnalysis.Text.TextSpan missSpan)
        {
            switch (_model.GetSymbolInfo(id, _ct).Symbol)
            {
                case ILocalSymbol local:
                    if (SymbolEqualityComparer.Default.Equals(local, _holder))
                        return false;
                    if (local.DeclaringSyntaxReferences.Any(r => missSpan.Contains(r.Span)))
                        return true;
                    return !local.IsRef && !local.Type.IsRefLikeType;
                case IParameterSymbol parameter:
                    return parameter.RefKind == RefKind.None && !parameter.Type.IsRefLikeType;
                default:
                    return true;
            }
        }

        private bool ReferencesLocalsIn(ExpressionSyntax expression, Microsoft.CodeAnalysis.Text.TextSpan missSpan) =>
            expression.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(id =>
                _model.GetSymbolInfo(id, _ct).Symbol is ILocalSymbol local && local.DeclaringSyntaxReferences.Any(r => missSpan.Contains(r.Span)));

        private string PickName(int position, List<StatementSyntax> miss)
        {
            foreach (var candidate in new[] { "ct", "cancellation", "factoryCancellation" })
            {
                if (_model.LookupSymbols(position, name: candidate).IsEmpty
                    && !miss.Any(s => s.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && t.ValueText == candidate)))
                {
                    return candidate;
                }
            }
            return "_";
        }

        /// <summary>A token that reads the same wherever it is evaluated: a local, parameter, field or property chain, <c>default</c>, <c>CancellationToken.None</c>.</summary>
        private static bool IsTokenExpression(ExpressionSyntax expression) =>
            IsDefaultToken(expression) || IsStableReceiver(Strip(expression));

        private static bool IsDefaultToken(ExpressionSyntax expression) =>
            Strip(expression) is LiteralExpressionSyntax { RawKind: (int)SyntaxKind.DefaultLiteralExpression } or DefaultExpressionSyntax
                or MemberAccessExpressionSyntax { Name.Identifier.ValueText: "None", Expression: IdentifierNameSyntax { Identifier.ValueText: "CancellationToken" } or MemberAccessExpressionSyntax { Name.Identifier.ValueText: "CancellationToken" } };

        private static string? CancellationParameter(IMethodSymbol method)
        {
            var tokens = method.Parameters.Where(p => p.RefKind == RefKind.None && p.Type.ToDisplayString() == "System.Threading.CancellationToken").ToList();
            return tokens.Count == 1 && !string.IsNullOrEmpty(tokens[0].Name) && tokens[0].Name != "_" ? tokens[0].Name : null;
        }

        private static StatementSyntax WrapReturns(StatementSyntax statement, TypeSyntax valueType) =>
            statement.ReplaceNodes(
                statement.DescendantNodesAndSelf(n => !IsNestedFunction(n)).OfType<ReturnStatementSyntax>().Where(r => r.Expression is not null),
                (original, _) => original.WithExpression(
                    SyntaxFactory.InvocationExpression(
                        SyntaxFactory.MemberAccessExpression(
                            SyntaxKind.SimpleMemberAccessExpression,
                            SyntaxFactory.ParseTypeName("global::System.Threading.Tasks.Task").WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation),
                            SyntaxFactory.GenericName(SyntaxFactory.Identifier("FromResult"))
                                .WithTypeArgumentList(SyntaxFactory.TypeArgumentList(SyntaxFactory.SingletonSeparatedList(valueType.WithoutTrivia())))),
                        SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(original.Expression!.WithoutTrivia()))))
                    .WithLeadingTrivia(original.Expression!.GetLeadingTrivia())));

        private static ExpressionStatementSyntax? WriteStatement(InvocationExpressionSyntax invocation)
        {
            SyntaxNode node = invocation;
            if (node.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } && node.Parent.Parent is InvocationExpressionSyntax configured)
                node = configured;
            if (node.Parent is AwaitExpressionSyntax awaited)
                node = awaited;
            // _ = db.StringSetAsync(...): fire and forget
            if (node.Parent is AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" } } discard && discard.Right == node)
                node = discard;
            return node.Parent as ExpressionStatementSyntax;
        }

        /// <summary><c>return x;</c>, <c>{ return x; }</c>, or <c>{ var y = x; return y; }</c>: the value returned.</summary>
        private static ExpressionSyntax? SingleReturn(StatementSyntax statement)
        {
            switch (statement)
            {
                case ReturnStatementSyntax { Expression: { } e }:
                    return e;
                case BlockSyntax { Statements.Count: 1 } block:
                    return SingleReturn(block.Statements[0]);
                case BlockSyntax { Statements.Count: 2 } block
                    when block.Statements[0] is LocalDeclarationStatementSyntax { Declaration.Variables.Count: 1 } declaration
                         && declaration.UsingKeyword == default
                         && declaration.Declaration.Variables[0] is { Initializer.Value: { } value } variable
                         && block.Statements[1] is ReturnStatementSyntax { Expression: IdentifierNameSyntax returned }
                         && returned.Identifier.ValueText == variable.Identifier.ValueText:
                    return value;
                default:
                    return null;
            }
        }

        private static TypeSyntax? UnwrapTaskSyntax(TypeSyntax type)
        {
            var name = type switch
            {
                QualifiedNameSyntax q => q.Right,
                AliasQualifiedNameSyntax a => a.Name,
                _ => type,
            };
            return name is GenericNameSyntax { Identifier.ValueText: "Task" or "ValueTask", TypeArgumentList.Arguments.Count: 1 } generic
                ? generic.TypeArgumentList.Arguments[0]
                : name is IdentifierNameSyntax { Identifier.ValueText: "Task" or "ValueTask" } ? type : null;
        }

        private static bool IsPrimitive(ITypeSymbol? type) =>
            type is not null && OperationFacts.StripNullable(type).SpecialType is SpecialType.System_String or SpecialType.System_Int32 or SpecialType.System_Int64
                or SpecialType.System_Double or SpecialType.System_Boolean or SpecialType.System_Single;

        private static bool SameValueType(ITypeSymbol decoded, ITypeSymbol valueType) =>
            SymbolEqualityComparer.Default.Equals(OperationFacts.StripNullable(decoded), OperationFacts.StripNullable(valueType));

        private static bool SameOrBothNull(ExpressionSyntax? a, ExpressionSyntax? b) =>
            a is null ? b is null : b is not null && SyntaxFactory.AreEquivalent(Strip(a), Strip(b));

        private static bool IsNullLiteral(ExpressionSyntax expression) =>
            Strip(expression) is LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NullLiteralExpression or (int)SyntaxKind.DefaultLiteralExpression }
                or DefaultExpressionSyntax;

        private static bool IsStableReceiver(ExpressionSyntax expression) => expression switch
        {
            IdentifierNameSyntax => true,
            ThisExpressionSyntax => true,
            MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression } m => IsStableReceiver(m.Expression),
            _ => false,
        };

        private static bool IsNestedFunction(SyntaxNode node) =>
            node is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax;

        private static ExpressionSyntax Strip(ExpressionSyntax expression)
        {
            while (true)
            {
                switch (expression)
                {
                    case ParenthesizedExpressionSyntax p:
                        expression = p.Expression;
                        continue;
                    case PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } s:
                        expression = s.Operand;
                        continue;
                    default:
                        return expression;
                }
            }
        }
    }
}

/// <summary>Syntax-level "does control leave here" checks for the miss path.</summary>
internal static class MiniChecks
{
    public static bool Exits(StatementSyntax statement) => statement switch
    {
        ReturnStatementSyntax or ThrowStatementSyntax => true,
        BlockSyntax block => block.Statements.Count > 0 && Exits(block.Statements[block.Statements.Count - 1]),
        IfStatementSyntax { Else: { } elseClause } ifStatement => Exits(ifStatement.Statement) && Exits(elseClause.Statement),
        _ => false,
    };

    public static bool ExitsAll(List<StatementSyntax> statements) => statements.Count > 0 && Exits(statements[statements.Count - 1]);
}

/// <summary>The <c>using CacheGuard;</c> the runtime's extension methods need, placed System-first then alphabetically.</summary>
internal static class RuntimeUsings
{
    public static CompilationUnitSyntax Ensure(CompilationUnitSyntax unit)
    {
        if (HasUsing(unit.Usings) || unit.Members.OfType<BaseNamespaceDeclarationSyntax>().Any(n => HasUsing(n.Usings)))
            return unit;
        var endOfLine = unit.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia)) is { RawKind: (int)SyntaxKind.EndOfLineTrivia } eol
            ? eol
            : SyntaxFactory.LineFeed;
        var directive = SyntaxFactory.UsingDirective(SyntaxFactory.IdentifierName(RuntimeSyntax.RuntimeNamespace))
            .NormalizeWhitespace()
            .WithTrailingTrivia(endOfLine);

        // Usings only inside a namespace: add it there.
        if (unit.Usings.Count == 0 && unit.Members.FirstOrDefault() is BaseNamespaceDeclarationSyntax ns && ns.Usings.Count > 0)
            return unit.ReplaceNode(ns, ns.WithUsings(Insert(ns.Usings, directive)));
        if (unit.Usings.Count == 0)
            return unit.WithUsings(SyntaxFactory.SingletonList(directive.WithTrailingTrivia(endOfLine, endOfLine)));
        return unit.WithUsings(Insert(unit.Usings, directive));
    }

    private static bool HasUsing(SyntaxList<UsingDirectiveSyntax> usings) =>
        usings.Any(u => u.Alias is null && u.StaticKeyword == default && u.Name?.ToString() == RuntimeSyntax.RuntimeNamespace);

    private static SyntaxList<UsingDirectiveSyntax> Insert(SyntaxList<UsingDirectiveSyntax> usings, UsingDirectiveSyntax directive)
    {
        var index = usings.Count;
        var names = usings.Where(u => u.Alias is null && u.StaticKeyword == default && u.GlobalKeyword == default && u.Name is not null)
            .Select(u => u.Name!.ToString()).ToList();
        var sorted = names.Zip(names.Skip(1), (a, b) => Compare(a, b) <= 0).All(ok => ok);
        for (var i = 0; i < usings.Count && sorted; i++)
        {
            var u = usings[i];
            if (u.Alias is not null || u.StaticKeyword != default || u.GlobalKeyword != default || u.Name is null)
                continue;
            if (Compare(u.Name.ToString(), RuntimeSyntax.RuntimeNamespace) > 0)
            {
                index = i;
                break;
            }
        }
        if (index == 0)
        {
            // Keep a file header on the first line.
            var first = usings[0];
            directive = directive.WithLeadingTrivia(first.GetLeadingTrivia());
            usings = usings.Replace(first, first.WithLeadingTrivia());
        }
        return usings.Insert(index, directive);
    }

    private static int Compare(string a, string b)
    {
        var systemA = a == "System" || a.StartsWith("System.", System.StringComparison.Ordinal);
        var systemB = b == "System" || b.StartsWith("System.", System.StringComparison.Ordinal);
        if (systemA != systemB)
            return systemA ? -1 : 1;
        return string.Compare(a, b, System.StringComparison.OrdinalIgnoreCase);
    }
}
