using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>Where an expiry's value comes from, as far as it matters for synchronized expiry.</summary>
internal enum ExpiryOriginKind
{
    /// <summary>The same for every entry written at the same moment: literal, constant, field, config, parameter.</summary>
    Fixed,
    /// <summary>Drawn from a random source (Random, RandomNumberGenerator, the runtime's jitter).</summary>
    Random,
    /// <summary>Computed from a deadline or the clock (<c>token.ExpiresAt - UtcNow</c>).</summary>
    Deadline,
    /// <summary>Not an expiry (null, default, keep-TTL) or not known: rules report nothing.</summary>
    Unknown,
}

/// <summary>What makes a fixed TTL the same for every entry: the kind of one of its sources.</summary>
internal enum ExpirySourceKind
{
    /// <summary>A literal or a constant (<c>TimeSpan.FromMinutes(15)</c>, a <c>const</c>).</summary>
    Constant,
    /// <summary>A static field (<c>static readonly TimeSpan ProfileTtl</c>).</summary>
    StaticField,
    /// <summary>A static property.</summary>
    StaticProperty,
    /// <summary>A field of the instance (set once, in the constructor say).</summary>
    InstanceField,
    /// <summary>A configuration or options value (<c>_options.CacheDuration</c>, <c>config.GetValue(...)</c>).</summary>
    Configuration,
    /// <summary>A parameter of the method (or a member of one), passed straight through.</summary>
    Parameter,
}

/// <summary>The shape of the expiry expression itself, where it changes what makes the TTL shared.</summary>
internal enum ExpiryShape
{
    Plain,
    /// <summary><c>x ?? TimeSpan.FromMinutes(5)</c>: the fixed default applies whenever no value is given.</summary>
    Fallback,
    /// <summary>A switch or conditional: one TTL per case.</summary>
    PerCase,
}

/// <summary>The origin of an expiry and, when fixed, what makes it the same for every entry (<see cref="Explain"/>).</summary>
internal readonly struct ExpiryOrigin
{
    private ExpiryOrigin(ExpiryOriginKind kind, System.Collections.Immutable.ImmutableArray<IParameterSymbol> parameters = default)
    {
        Kind = kind;
        PassedThrough = parameters.IsDefault ? System.Collections.Immutable.ImmutableArray<IParameterSymbol>.Empty : parameters;
        Text = "";
        Sources = System.Collections.Immutable.ImmutableArray<(ExpirySourceKind, string)>.Empty;
        Shape = ExpiryShape.Plain;
        Fallback = "";
        IsInstant = false;
        IsFromNow = false;
        IsClockBased = false;
        IsFromADay = false;
    }

    private ExpiryOrigin(ExpiryOrigin origin, System.Collections.Immutable.ImmutableArray<IParameterSymbol> parameters, string text,
        System.Collections.Immutable.ImmutableArray<(ExpirySourceKind, string)> sources, ExpiryShape shape, string fallback, bool isInstant, bool isFromNow, bool isClockBased, bool isFromADay)
    {
        Kind = origin.Kind;
        PassedThrough = parameters.IsDefault ? System.Collections.Immutable.ImmutableArray<IParameterSymbol>.Empty : parameters;
        Text = text;
        Sources = sources;
        Shape = shape;
        Fallback = fallback;
        IsInstant = isInstant;
        IsFromNow = isFromNow;
        IsClockBased = isClockBased;
        IsFromADay = isFromADay;
    }

    public ExpiryOriginKind Kind { get; }


    /// <summary>The expiry expression as written (shortened).</summary>
    public string Text { get; }

    /// <summary>The fixed sources the expiry was traced to, in the order they were met.</summary>
    public System.Collections.Immutable.ImmutableArray<(ExpirySourceKind Kind, string Text)> Sources { get; }

    public ExpiryShape Shape { get; }

    /// <summary>For <see cref="ExpiryShape.Fallback"/>: the fixed default (<c>TimeSpan.FromMinutes(5)</c>).</summary>
    public string Fallback { get; }

    /// <summary>The expiry is an absolute instant (<c>DateTime</c>/<c>DateTimeOffset</c>).</summary>
    public bool IsInstant { get; }

    /// <summary>
    /// The instant is the clock moved by a fixed offset (<c>DateTimeOffset.UtcNow.AddMinutes(5)</c>): a relative TTL
    /// written as an instant, the same for every entry written at the same moment.
    /// </summary>
    public bool IsFromNow { get; }

    /// <summary>A fixed offset moves a clock reading somewhere in the expiry (now or a day: <c>DateTime.Today.AddDays(1)</c>).</summary>
    public bool IsClockBased { get; }

    /// <summary>The expiry itself is a day's start moved by a fixed offset (<c>DateTime.Today.AddDays(1)</c>): one instant all day.</summary>
    public bool IsFromADay { get; }

    /// <summary>
    /// A fixed expiry whose only sources are parameters of the method (<c>ttl</c>, <c>item.Timeout</c>,
    /// <c>TimeSpan.FromSeconds(seconds)</c>): what it is depends on the callers. Empty otherwise.
    /// </summary>
    public System.Collections.Immutable.ImmutableArray<IParameterSymbol> PassedThrough { get; }

    // No description string per traced node: the message is built from Text and Sources (Explain), once, when reported.
    public static ExpiryOrigin Fixed() => new(ExpiryOriginKind.Fixed);
    public static readonly ExpiryOrigin Random = new(ExpiryOriginKind.Random);
    public static readonly ExpiryOrigin Deadline = new(ExpiryOriginKind.Deadline);
    public static readonly ExpiryOrigin Unknown = new(ExpiryOriginKind.Unknown);

    /// <summary>
    /// Traces an expiry expression back to its sources. Random or clock-derived anywhere wins over
    /// fixed; anything not understood is unknown (report nothing rather than guess).
    /// </summary>
    public static ExpiryOrigin Of(IOperation expiry, CacheApi api)
    {
        var tracer = new Tracer(api);
        var origin = tracer.Trace(expiry, depth: 0);
        if (origin.Kind != ExpiryOriginKind.Fixed)
            return origin;
        var parameters = !tracer.OtherSource && tracer.Parameters.Count > 0
            ? System.Collections.Immutable.ImmutableArray.CreateRange(tracer.Parameters)
            : default;
        var top = OperationFacts.Unwrap(expiry);
        var shape = ExpiryShape.Plain;
        var fallback = "";
        switch (top)
        {
            case ICoalesceOperation coalesce when new Tracer(api).Trace(coalesce.WhenNull, 0).Kind == ExpiryOriginKind.Fixed:
                shape = ExpiryShape.Fallback;
                fallback = Tracer.Short(OperationFacts.Unwrap(coalesce.WhenNull));
                break;
            case IConditionalOperation:
            case ISwitchExpressionOperation:
                shape = ExpiryShape.PerCase;
                break;
        }
        var type = OperationFacts.UnwrapImplicit(expiry).Type;
        var isInstant = AbsoluteExpiry.IsInstantType(type, api);
        // The expiry itself moves a clock (not a name for an instant that does somewhere): from now, or from a day's start.
        var movedAtTop = isInstant && tracer.MovedAClock && MovesAClock(top, api);
        return new ExpiryOrigin(origin, parameters, Tracer.Short(top), System.Collections.Immutable.ImmutableArray.CreateRange(tracer.Sources), shape, fallback,
            isInstant, movedAtTop && tracer.MovedTheClock, tracer.MovedAClock, movedAtTop && !tracer.MovedTheClock);
    }

    /// <summary>
    /// The message's clause: what makes this fixed TTL the same for every entry, per source (issue 18).
    /// <paramref name="callerPasses"/> is what a caller passes for a TTL parameter passed straight through, when known.
    /// </summary>
    public string Explain(string? callerPasses = null)
    {
        var what = IsInstant ? "expiry" : "TTL";
        if (Shape == ExpiryShape.Fallback)
            return $"the {what} '{Text}' falls back to the fixed default '{Fallback}'";

        var constantOnly = Sources.Length > 0;
        foreach (var source in Sources)
        {
            if (source.Kind != ExpirySourceKind.Constant)
                constantOnly = false;
        }
        if (IsFromNow && Shape == ExpiryShape.Plain)
            return ExplainFromNow(constantOnly || Sources.IsDefaultOrEmpty);
        // From a day's start (DateTime.Today.AddDays(1)): the instant itself is shared.
        if (IsFromADay && Shape == ExpiryShape.Plain)
            return $"the expiry '{Text}' is one instant for every entry written that day";
        var instant = IsInstant ? ", one instant for every entry" : "";
        if (constantOnly || Sources.IsDefaultOrEmpty)
            return $"the {what} '{Text}' is {(Shape == ExpiryShape.PerCase ? "one constant per case" : "a constant")}{instant}";

        var primary = Primary();
        if (primary.Kind == ExpirySourceKind.Parameter)
        {
            var passed = callerPasses is null ? $" unchanged, the one {what} for every entry its caller writes" : $", and a caller passes '{callerPasses}'";
            return primary.Text == Text
                ? $"the {what} parameter '{Text}' is passed straight through{passed}"
                : $"the {what} '{Text}' comes from the parameter '{primary.Text}', passed straight through{passed}";
        }
        if (instant.Length > 0)
            instant = ":" + instant.Substring(1);
        if (primary.Text == Text)
        {
            var phrase = primary.Kind switch
            {
                ExpirySourceKind.StaticField => "a static field",
                ExpirySourceKind.StaticProperty => "a static property",
                ExpirySourceKind.InstanceField => "a field set once for the instance",
                _ => "a configuration value",
            };
            return $"the {what} '{Text}' is {phrase}{instant}";
        }
        var from = primary.Kind switch
        {
            ExpirySourceKind.StaticField => $"the static field '{primary.Text}'",
            ExpirySourceKind.StaticProperty => $"the static property '{primary.Text}'",
            ExpirySourceKind.InstanceField => $"the field '{primary.Text}', set once for the instance",
            _ => $"the configuration value '{primary.Text}'",
        };
        return $"the {what} '{Text}' comes from {from}{instant}";
    }

    /// <summary><c>IConfiguration</c>, <c>IOptions&lt;T&gt;</c>, or a type named for options, settings or configuration.</summary>
    internal static bool IsConfigurationType(ITypeSymbol? type) => Tracer.IsConfigurationType(type);

    /// <summary>Is <paramref name="expiry"/> itself an offset added to an instant (<c>x.AddMinutes(5)</c>, <c>x + ttl</c>), not a name for one?</summary>
    private static bool MovesAClock(IOperation expiry, CacheApi api)
    {
        return expiry switch
        {
            IInvocationOperation { TargetMethod: { IsStatic: false } method } => method.Name.StartsWith("Add", System.StringComparison.Ordinal) && AbsoluteExpiry.IsInstantType(method.ContainingType, api),
            IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } binary => AbsoluteExpiry.IsInstantType(binary.Type, api),
            _ => false,
        };
    }

    /// <summary>The clause for the clock moved by a fixed offset (<see cref="IsFromNow"/>): what the offset is.</summary>
    private string ExplainFromNow(bool constantOnly)
    {
        if (constantOnly)
            return $"the expiry '{Text}' is now plus a constant";
        var primary = Primary();
        var offset = primary.Kind switch
        {
            ExpirySourceKind.Parameter => $"the parameter '{primary.Text}', passed straight through",
            ExpirySourceKind.StaticField => $"the static field '{primary.Text}'",
            ExpirySourceKind.StaticProperty => $"the static property '{primary.Text}'",
            ExpirySourceKind.InstanceField => $"the field '{primary.Text}', set once for the instance",
            ExpirySourceKind.Constant => "a constant",
            _ => $"the configuration value '{primary.Text}'",
        };
        return $"the expiry '{Text}' is now plus {offset}";
    }

    /// <summary>
    /// The source that says most about why the TTL is shared: the parameter when only parameters feed
    /// it, else configuration, a static member, a field, in that order.
    /// </summary>
    private (ExpirySourceKind Kind, string Text) Primary()
    {
        if (!PassedThrough.IsEmpty)
        {
            foreach (var source in Sources)
            {
                if (source.Kind == ExpirySourceKind.Parameter)
                    return source;
            }
        }
        foreach (var kind in new[] { ExpirySourceKind.Configuration, ExpirySourceKind.StaticField, ExpirySourceKind.StaticProperty, ExpirySourceKind.InstanceField, ExpirySourceKind.Parameter })
        {
            foreach (var source in Sources)
            {
                if (source.Kind == kind)
                    return source;
            }
        }
        return Sources[0];
    }

    private sealed class Tracer
    {
        private const int MaxDepth = 8;
        private readonly CacheApi _api;
        private readonly System.Collections.Generic.HashSet<ISymbol> _parametersInProgress = new(SymbolEqualityComparer.Default);

        public Tracer(CacheApi api) => _api = api;

        /// <summary>The parameters a fixed expiry was traced to.</summary>
        public System.Collections.Generic.List<IParameterSymbol> Parameters { get; } = new();

        /// <summary>A fixed source other than a parameter was seen (a literal, a constant, a field, configuration).</summary>
        public bool OtherSource { get; private set; }

        /// <summary>Every fixed source met, for the message (<see cref="Explain"/>).</summary>
        public System.Collections.Generic.List<(ExpirySourceKind, string)> Sources { get; } = new();

        /// <summary>A fixed offset was added to the current time (<see cref="MovedClock"/>), not to midnight.</summary>
        public bool MovedTheClock { get; private set; }

        /// <summary>A fixed offset was added to a clock reading (the current time or a day).</summary>
        public bool MovedAClock { get; private set; }

        private ExpiryOrigin OtherFixed(ExpirySourceKind kind, IOperation source)
        {
            OtherSource = true;
            Sources.Add((kind, Short(source)));
            return Fixed();
        }

        public ExpiryOrigin Trace(IOperation operation, int depth)
        {
            if (depth > MaxDepth)
                return Unknown;

            var op = OperationFacts.Unwrap(operation);

            if (OperationFacts.IsNullOrDefault(op))
                return Unknown;

            if (op is ILiteralOperation || (op.ConstantValue.HasValue && op is not IFieldReferenceOperation && op is not ILocalReferenceOperation))
                return OtherFixed(ExpirySourceKind.Constant, op);

            switch (op)
            {
                case IFieldReferenceOperation field:
                    return TraceField(field, depth);

                case IPropertyReferenceOperation property:
                    return TraceProperty(property, depth);

                case IParameterReferenceOperation parameter:
                    return TraceParameter(parameter, depth);

                case ILocalReferenceOperation local:
                    return TraceLocal(local, depth);

                case IInvocationOperation invocation:
                    return TraceInvocation(invocation, depth);

                case IObjectCreationOperation creation:
                    return Combine(creation.Arguments.Select(a => a.Value), depth);

                case IBinaryOperation binary:
                    if (binary.OperatorKind == BinaryOperatorKind.Add && IsClockType(binary.Type))
                    {
                        // DateTimeOffset.UtcNow + TimeSpan.FromMinutes(5): the offset decides.
                        if (ClockReading(binary.LeftOperand, depth) is { } left && IsTimeSpan(binary.RightOperand.Type))
                            return MovedClock(binary.RightOperand, left, depth);
                        if (ClockReading(binary.RightOperand, depth) is { } right && IsTimeSpan(binary.LeftOperand.Type))
                            return MovedClock(binary.LeftOperand, right, depth);
                    }
                    if (binary.OperatorKind == BinaryOperatorKind.Subtract && (IsClockType(binary.LeftOperand.Type) || IsClockType(binary.RightOperand.Type)))
                        return Deadline;
                    return Combine(new[] { binary.LeftOperand, binary.RightOperand }, depth);

                case ICoalesceOperation coalesce:
                    return Combine(new[] { coalesce.Value, coalesce.WhenNull }, depth);

                case IConditionalOperation conditional when conditional.WhenFalse is not null:
                    return Combine(new[] { conditional.WhenTrue, conditional.WhenFalse }, depth);

                case ISwitchExpressionOperation switchExpression:
                    // kind switch { Hot => TimeSpan.FromMinutes(1), _ => TimeSpan.FromHours(1) }: one TTL per arm,
                    // the same for every entry of that arm. Throwing arms add nothing.
                    return Combine(switchExpression.Arms.Select(a => a.Value).Where(v => OperationFacts.Unwrap(v) is not IThrowOperation), depth);

                case IUnaryOperation unary:
                    return Trace(unary.Operand, depth + 1);

                default:
                    return Unknown;
            }
        }

        private ExpiryOrigin TraceField(IFieldReferenceOperation field, int depth)
        {
            var symbol = field.Field;
            if (IsExpirationSentinel(symbol))
                return Unknown;
            if (IsClockMember(symbol))
                return Deadline;
            if (IsRandomSymbol(symbol.ContainingType))
                return Random;

            // A field initialized from a random source in source code: trust it (no report).
            if (InitializerMentionsRandom(symbol))
                return Random;
            if (RandomOrDeadlineReceiver(field.Instance, depth) is { } fromReceiver)
                return fromReceiver;
            if (IsDataInstant(symbol.Type, field.Instance) || ReadFromLoadedData(field.Instance))
                return Deadline;
            var kind = symbol.IsConst ? ExpirySourceKind.Constant
                : symbol.IsStatic ? ExpirySourceKind.StaticField
                : field.Instance is null or IInstanceReferenceOperation ? (IsConfigurationType(symbol.Type) ? ExpirySourceKind.Configuration : ExpirySourceKind.InstanceField)
                : ExpirySourceKind.Configuration;
            return OtherFixed(kind, field);
        }

        /// <summary>
        /// The origin of a member's receiver other than <c>this</c> when it is random or a deadline (the member then is
        /// too); otherwise null. The receiver is part of the member's name (<c>options.Value.Ttl</c>): the sources it
        /// recorded are dropped, so the member itself is the source.
        /// </summary>
        private ExpiryOrigin? RandomOrDeadlineReceiver(IOperation? instance, int depth)
        {
            if (instance is null or IInstanceReferenceOperation)
                return null;
            var mark = Sources.Count;
            var receiver = Trace(instance, depth + 1);
            Sources.RemoveRange(mark, Sources.Count - mark);
            return receiver.Kind is ExpiryOriginKind.Random or ExpiryOriginKind.Deadline ? receiver : null;
        }

        private ExpiryOrigin TraceProperty(IPropertyReferenceOperation property, int depth)
        {
            var symbol = property.Property;
            if (IsExpirationSentinel(symbol))
                return Unknown;
            if (IsClockMember(symbol))
                return Deadline;
            if (IsRandomSymbol(symbol.ContainingType) || CacheApi.IsRuntimeSymbol(symbol))
                return Random;
            if (InitializerMentionsRandom(symbol))
                return Random;

            // A computed property in source whose body reads the clock is a deadline.
            if (BodyMentionsClock(symbol))
                return Deadline;

            if (RandomOrDeadlineReceiver(property.Instance, depth) is { } fromReceiver)
                return fromReceiver;
            if (IsDataInstant(symbol.Type, property.Instance) || ReadFromLoadedData(property.Instance))
                return Deadline;
            // A member of a parameter (item.ExpirationTimeout, item.AbsoluteExpiration.Value): passed in by the caller.
            if (ParameterBehind(property.Instance) is { } ownerParameter)
            {
                if (!Parameters.Contains(ownerParameter, SymbolEqualityComparer.Default))
                    Parameters.Add(ownerParameter);
                Sources.Add((ExpirySourceKind.Parameter, Short(property)));
                return Fixed();
            }
            // Options and configuration objects: the same value for every entry.
            return OtherFixed(symbol.IsStatic ? ExpirySourceKind.StaticProperty : ExpirySourceKind.Configuration, property);
        }

        /// <summary>
        /// A parameter is passed straight through unless the body reassigns it: then what it is
        /// assigned counts too (<c>expiration = expiration.Add(TimeSpan.FromSeconds(random))</c>).
        /// </summary>
        private ExpiryOrigin TraceParameter(IParameterReferenceOperation parameter, int depth)
        {
            var result = Fixed();
            if (!Parameters.Contains(parameter.Parameter, SymbolEqualityComparer.Default))
                Parameters.Add(parameter.Parameter);
            Sources.Add((ExpirySourceKind.Parameter, parameter.Parameter.Name));
            // Inside its own reassignment (ttl = ttl + x) the parameter is the value passed in.
            if (!_parametersInProgress.Add(parameter.Parameter))
                return result;
            try
            {
                // Most parameters are never assigned: the body's text says so without indexing its writes (LocalWrites).
                var root = OperationFacts.Root(parameter);
                if (!NameUses.MayBeAssignedIn(root.Syntax, parameter.Parameter.Name))
                    return result;
                foreach (var assigned in AssignmentsTo(root, parameter.Parameter))
                {
                    result = Merge(result, Trace(assigned, depth + 1));
                    if (result.Kind != ExpiryOriginKind.Fixed)
                        return result;
                }
                return result;
            }
            finally
            {
                _parametersInProgress.Remove(parameter.Parameter);
            }
        }

        private ExpiryOrigin TraceLocal(ILocalReferenceOperation local, int depth)
        {
            var root = OperationFacts.Root(local);
            // A loop counter or iteration variable (index++, foreach item): the TTL differs per entry by
            // construction (RULES.md, CG0001: "from a loop variable"), so entries do not expire together.
            if (VariesPerIteration(root, local.Local))
                return Unknown;
            ExpiryOrigin? result = null;
            foreach (var assigned in AssignmentsTo(root, local.Local))
            {
                var origin = Trace(assigned, depth + 1);
                result = result is null ? origin : Merge(result.Value, origin);
                if (result.Value.Kind != ExpiryOriginKind.Fixed)
                    return result.Value;
            }
            if (result is null)
                return Unknown;
            return Fixed();
        }

        private ExpiryOrigin TraceInvocation(IInvocationOperation invocation, int depth)
        {
            var method = invocation.TargetMethod;
            if (method.MethodKind == MethodKind.DelegateInvoke)
                return Unknown; // a factory or provider the caller passed in: no telling what it returns
            if (CacheApi.IsRuntimeSymbol(method) || IsRandomSymbol(method.ContainingType))
                return Random;
            // Guid.NewGuid(): the random source CacheGuard's runtime-free jitter uses where there is no Random.Shared.
            if (method.Name == "NewGuid" && method.IsStatic && method.ContainingType?.ToDisplayString() == "System.Guid")
                return Random;
            // DateTimeOffset.UtcNow.AddMinutes(5), DateTime.Today.AddDays(1): the offset decides.
            if (!method.IsStatic && method.Name.StartsWith("Add", System.StringComparison.Ordinal) && invocation.Arguments.Length == 1
                && IsClockType(method.ContainingType) && invocation.Instance is { } moved && ClockReading(moved, depth) is { } reading)
            {
                return MovedClock(invocation.Arguments[0].Value, reading, depth);
            }
            if (IsClockMember(method))
                return Deadline;

            // A helper in this compilation: random inside it means jittered; otherwise we don't know
            // what it reads, so report nothing.
            if (method.DeclaringSyntaxReferences.Length > 0)
            {
                if (method.DeclaringSyntaxReferences.Any(r => MentionsRandom(r.GetSyntax())))
                    return Random;
                if (method.DeclaringSyntaxReferences.Any(r => MentionsClock(r.GetSyntax())))
                    return Deadline;
                // A helper that only ever returns constant TTLs (a switch over a kind, say): fixed.
                if (method.DeclaringSyntaxReferences.Length == 1 && ReturnsOnlyConstantTtls(method.DeclaringSyntaxReferences[0].GetSyntax()))
                    return OtherFixed(ExpirySourceKind.Constant, invocation);
                return Unknown;
            }

            // Library calls (TimeSpan.FromMinutes, config.GetValue<TimeSpan>): fixed when their inputs are.
            if (invocation.Instance is { } configuration && IsConfigurationType(configuration.Type)
                || method.IsExtensionMethod && invocation.Arguments.Length > 0 && IsConfigurationType(invocation.Arguments[0].Value.Type))
            {
                var read = Combine(invocation.Arguments.Select(a => a.Value).Concat(invocation.Instance is { } i ? new[] { i } : System.Array.Empty<IOperation>()), depth);
                if (read.Kind == ExpiryOriginKind.Fixed)
                {
                    OtherSource = true;
                    Sources.Insert(0, (ExpirySourceKind.Configuration, Short(invocation)));
                }
                return read;
            }
            var inputs = invocation.Arguments.Select(a => a.Value).ToList();
            if (invocation.Instance is { } instance)
                inputs.Add(instance);
            return Combine(inputs, depth);
        }

        /// <summary>
        /// True when every value <paramref name="declaration"/> returns is a constant TTL written out in
        /// source (<c>TimeSpan.FromMinutes(10)</c>, <c>new TimeSpan(0, 5, 0)</c>, a switch or conditional
        /// of those). Syntax only, so a helper reading anything else stays unknown.
        /// </summary>
        private static bool ReturnsOnlyConstantTtls(SyntaxNode declaration)
        {
            var returned = new System.Collections.Generic.List<ExpressionSyntax>();
            switch (declaration)
            {
                case MethodDeclarationSyntax { ExpressionBody: { } arrow }:
                    returned.Add(arrow.Expression);
                    break;
                case MethodDeclarationSyntax { Body: { } body }:
                    foreach (var node in body.DescendantNodes(n => n is not (LambdaExpressionSyntax or AnonymousMethodExpressionSyntax or LocalFunctionStatementSyntax)))
                    {
                        if (node is ReturnStatementSyntax { Expression: { } value })
                            returned.Add(value);
                    }
                    break;
                default:
                    return false;
            }
            return returned.Count > 0 && returned.All(IsConstantTtlSyntax);
        }

        private static bool IsConstantTtlSyntax(ExpressionSyntax expression)
        {
            switch (expression)
            {
                case ParenthesizedExpressionSyntax parenthesized:
                    return IsConstantTtlSyntax(parenthesized.Expression);
                case SwitchExpressionSyntax switchExpression:
                    return switchExpression.Arms.Any(a => a.Expression is not ThrowExpressionSyntax)
                           && switchExpression.Arms.All(a => a.Expression is ThrowExpressionSyntax || IsConstantTtlSyntax(a.Expression));
                case ConditionalExpressionSyntax conditional:
                    return IsConstantTtlSyntax(conditional.WhenTrue) && IsConstantTtlSyntax(conditional.WhenFalse);
                case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: "TimeSpan" }, Name.Identifier.ValueText: var from } } call
                    when from.StartsWith("From", System.StringComparison.Ordinal):
                    return call.ArgumentList.Arguments.Count > 0 && call.ArgumentList.Arguments.All(a => IsNumericLiteral(a.Expression));
                case ObjectCreationExpressionSyntax { Type: IdentifierNameSyntax { Identifier.ValueText: "TimeSpan" }, ArgumentList: { } arguments }:
                    return arguments.Arguments.Count > 0 && arguments.Arguments.All(a => IsNumericLiteral(a.Expression));
                default:
                    return false;
            }
        }

        private static bool IsNumericLiteral(ExpressionSyntax expression) =>
            expression is LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NumericLiteralExpression }
            || expression is PrefixUnaryExpressionSyntax { Operand: LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NumericLiteralExpression } };

        private ExpiryOrigin Combine(System.Collections.Generic.IEnumerable<IOperation> inputs, int depth)
        {
            // Literals beside another input are the expression's structure, not a source: new TimeSpan(0, 0, seconds) and
            // TimeSpan.FromSeconds(minutes * 60) are the parameter passed through (its callers decide), as plain seconds is.
            var list = inputs as System.Collections.Generic.IList<IOperation> ?? inputs.ToList();
            var allLiteral = true;
            foreach (var input in list)
                allLiteral &= IsLiteral(input);
            var sawFixed = false;
            foreach (var input in list)
            {
                if (!allLiteral && IsLiteral(input))
                    continue;
                var origin = Trace(input, depth + 1);
                switch (origin.Kind)
                {
                    case ExpiryOriginKind.Random:
                    case ExpiryOriginKind.Deadline:
                        return origin;
                    case ExpiryOriginKind.Fixed:
                        sawFixed = true;
                        break;
                    case ExpiryOriginKind.Unknown:
                        if (!OperationFacts.IsNullOrDefault(input))
                            return Unknown;
                        break;
                }
            }
            return sawFixed ? Fixed() : Unknown;
        }

        private static bool IsLiteral(IOperation input) => OperationFacts.Unwrap(input) is ILiteralOperation;

        private static ExpiryOrigin Merge(ExpiryOrigin a, ExpiryOrigin b)
        {
            if (a.Kind == ExpiryOriginKind.Random || b.Kind == ExpiryOriginKind.Random)
                return Random;
            if (a.Kind == ExpiryOriginKind.Deadline || b.Kind == ExpiryOriginKind.Deadline)
                return Deadline;
            if (a.Kind == ExpiryOriginKind.Unknown || b.Kind == ExpiryOriginKind.Unknown)
                return Unknown;
            return Fixed();
        }

        /// <summary>
        /// Is <paramref name="instance"/> (a member's receiver) data the method loaded: a call's result (<c>(await
        /// client.RequestTokenAsync()).ExpiresIn</c>) or a local holding one (<c>var response = await ...; response.ExpiresIn</c>),
        /// of a type that is not configuration? A TTL read from it is the data's own lifetime (RULES.md, CG0001: not fixed),
        /// not a configuration value. Fields of this instance, static members and parameters are not data here.
        /// </summary>
        private static bool ReadFromLoadedData(IOperation? instance)
        {
            for (var depth = 0; instance is not null && depth < 6; depth++)
            {
                var op = OperationFacts.Unwrap(instance);
                if (IsConfigurationType(op.Type))
                    return false;
                switch (op)
                {
                    case IPropertyReferenceOperation { Instance: { } inner } when inner is not IInstanceReferenceOperation:
                        instance = inner;
                        break;
                    case IFieldReferenceOperation { Instance: { } inner } when inner is not IInstanceReferenceOperation:
                        instance = inner;
                        break;
                    case IAwaitOperation awaited:
                        return awaited.Operation is IInvocationOperation { TargetMethod: var awaitedMethod } && !IsConfigurationRead(awaitedMethod);
                    case IInvocationOperation { TargetMethod: var method }:
                        return method.MethodKind == MethodKind.Ordinary && !method.ReturnsVoid && !IsConfigurationRead(method);
                    case ILocalReferenceOperation local:
                        instance = SingleInitializer(local);
                        break;
                    default:
                        return false;
                }
            }
            return false;

            // IConfiguration's Get<T>()/GetValue<T>() and the like: configuration, whatever T is named.
            static bool IsConfigurationRead(IMethodSymbol method) =>
                IsConfigurationType(method.ContainingType)
                || (method.IsExtensionMethod && method.Parameters.Length > 0 && IsConfigurationType(method.Parameters[0].Type))
                || (method.ReducedFrom is { } reduced && reduced.Parameters.Length > 0 && IsConfigurationType(reduced.Parameters[0].Type));
        }

        /// <summary>The parameter a chain of member accesses starts from (<c>item.Options.Timeout</c> → <c>item</c>).</summary>
        private static IParameterSymbol? ParameterBehind(IOperation? instance)
        {
            for (var depth = 0; instance is not null && depth < 4; depth++)
            {
                switch (OperationFacts.Unwrap(instance))
                {
                    case IParameterReferenceOperation parameter:
                        return parameter.Parameter;
                    case IPropertyReferenceOperation { Instance: { } inner }:
                        instance = inner;
                        break;
                    case IFieldReferenceOperation { Instance: { } inner } when inner is not IInstanceReferenceOperation:
                        instance = inner;
                        break;
                    case IInvocationOperation { Instance: { } receiver } when receiver is not IInstanceReferenceOperation:
                        instance = receiver; // item.WithValue(newValue): a copy of the caller's item
                        break;
                    case ILocalReferenceOperation local:
                        instance = SingleInitializer(local);
                        break;
                    default:
                        return null;
                }
            }
            return null;
        }

        /// <summary>The initializer of a local that is never reassigned, else null.</summary>
        private static IOperation? SingleInitializer(ILocalReferenceOperation local)
        {
            IOperation? found = null;
            foreach (var assigned in AssignmentsTo(OperationFacts.Root(local), local.Local))
            {
                if (found is not null)
                    return null;
                found = assigned;
            }
            return found;
        }

        /// <summary>The local is incremented, decremented or compound-assigned in a loop, or is a foreach iteration variable.</summary>
        private static bool VariesPerIteration(IOperation root, ILocalSymbol local) => LocalWrites.Of(root).Varies(local);

        private static bool InLoop(IOperation operation)
        {
            for (var current = operation.Parent; current is not null; current = current.Parent)
            {
                if (current is ILoopOperation)
                    return true;
            }
            return false;
        }

        /// <summary>Every value assigned to <paramref name="local"/> (a local or a parameter) in the body: initializer and assignments, in walk order.</summary>
        private static System.Collections.Generic.IEnumerable<IOperation> AssignmentsTo(IOperation root, ISymbol local) => LocalWrites.Of(root).To(local);

        /// <summary>
        /// The values assigned to each local and parameter of one body, and the locals that vary per loop
        /// iteration: one walk of the body, shared by every expiry traced in it (each local reference
        /// asked for both, a walk each, before).
        /// </summary>
        private sealed class LocalWrites
        {
            private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IOperation, LocalWrites> PerRoot = new();
            private static readonly IOperation[] None = System.Array.Empty<IOperation>();

            private readonly System.Collections.Generic.Dictionary<ISymbol, System.Collections.Generic.List<IOperation>> _assigned = new(SymbolEqualityComparer.Default);
            private readonly System.Collections.Generic.HashSet<ISymbol> _varying = new(SymbolEqualityComparer.Default);

            public static LocalWrites Of(IOperation root) => PerRoot.GetValue(root, r => new LocalWrites(r));

            private LocalWrites(IOperation root)
            {
                foreach (var descendant in root.DescendantsAndSelf())
                {
                    switch (descendant)
                    {
                        case IVariableDeclaratorOperation declarator:
                            if (declarator.Initializer is { } init)
                                Add(declarator.Symbol, init.Value);
                            break;
                        case ISimpleAssignmentOperation assignment:
                            Add(AssignedSymbol(assignment.Target), assignment.Value);
                            break;
                        case ICompoundAssignmentOperation compound:
                            Add(AssignedSymbol(compound.Target), compound.Value);
                            if (compound.Target is ILocalReferenceOperation compounded && InLoop(descendant))
                                _varying.Add(compounded.Local);
                            break;
                        case ICoalesceAssignmentOperation coalesce:
                            Add(AssignedSymbol(coalesce.Target), coalesce.Value);
                            break;
                        case IIncrementOrDecrementOperation { Target: ILocalReferenceOperation target } when InLoop(descendant):
                            _varying.Add(target.Local);
                            break;
                        case IForEachLoopOperation loop:
                            foreach (var local in loop.Locals)
                                _varying.Add(local);
                            break;
                    }
                }
            }

            private void Add(ISymbol? symbol, IOperation value)
            {
                if (symbol is null)
                    return;
                if (!_assigned.TryGetValue(symbol, out var values))
                    _assigned[symbol] = values = new System.Collections.Generic.List<IOperation>();
                values.Add(value);
            }

            public System.Collections.Generic.IReadOnlyList<IOperation> To(ISymbol symbol) =>
                _assigned.TryGetValue(symbol, out var values) ? values : None;

            public bool Varies(ILocalSymbol local) => _varying.Contains(local);
        }

        private static ISymbol? AssignedSymbol(IOperation target) =>
            target is ILocalReferenceOperation or IParameterReferenceOperation ? OperationFacts.VariableOf(target) : null;

        /// <summary>How the current time is read, when <paramref name="operation"/> only reads it.</summary>
        private enum Clock
        {
            /// <summary><c>UtcNow</c>, <c>Now</c>, <c>TimeProvider.GetUtcNow()</c>, an <c>ISystemClock</c>'s <c>UtcNow</c>.</summary>
            Now,
            /// <summary>Truncated to a day (<c>DateTime.Today</c>, <c>UtcNow.Date</c>): the same instant all day.</summary>
            Day,
        }

        /// <summary>
        /// The clock reading <paramref name="operation"/> is, directly or through a local only ever assigned one (<c>var now =
        /// DateTime.UtcNow</c>); null when it is anything else (a deadline read from the data, a parameter).
        /// </summary>
        private Clock? ClockReading(IOperation operation, int depth)
        {
            if (depth > MaxDepth)
                return null;
            switch (OperationFacts.Unwrap(operation))
            {
                case IPropertyReferenceOperation { Property: var property } reference when IsClockType(property.Type):
                    if (property.Name is "UtcNow" or "Now")
                        return Clock.Now;
                    if (property.Name == "Today")
                        return Clock.Day;
                    if (property.Name == "Date" && reference.Instance is { } day && ClockReading(day, depth + 1) is not null)
                        return Clock.Day;
                    if (property.Name is "UtcDateTime" or "LocalDateTime" or "DateTime" && reference.Instance is { } converted)
                        return ClockReading(converted, depth + 1);
                    return null;
                case IInvocationOperation { TargetMethod.Name: "GetUtcNow" or "GetLocalNow", Arguments.Length: 0 } now when IsClockType(now.Type):
                    return Clock.Now;
                case ILocalReferenceOperation local:
                    Clock? reading = null;
                    foreach (var assigned in AssignmentsTo(OperationFacts.Root(local), local.Local))
                    {
                        if (ClockReading(assigned, depth + 1) is not { } one || (reading is { } other && other != one))
                            return null;
                        reading = one;
                    }
                    return reading;
                default:
                    return null;
            }
        }

        /// <summary>
        /// The clock moved by <paramref name="offset"/>: the same TTL (from <c>Now</c>) or the same instant (from a day) for
        /// every entry written at the same moment when the offset is fixed (RULES.md, CG0001), as random as the offset when it
        /// is random. An offset read from the data (<c>AddSeconds(token.ExpiresIn)</c>) is the data's own deadline.
        /// </summary>
        private ExpiryOrigin MovedClock(IOperation offset, Clock reading, int depth)
        {
            if (ReadsTheData(offset))
                return Deadline;
            var origin = Trace(offset, depth + 1);
            if (origin.Kind == ExpiryOriginKind.Fixed)
            {
                MovedAClock = true;
                if (reading == Clock.Now)
                    MovedTheClock = true;
            }
            return origin;
        }

        /// <summary>
        /// Does the offset read a member of an object other than this one that is not configuration (<c>token.ExpiresIn</c>,
        /// <c>item.CacheSeconds</c>)? Then it comes with the data (syntax-free: the operations under the offset).
        /// </summary>
        private static bool ReadsTheData(IOperation offset, int depth = 0)
        {
            if (depth > MaxDepth)
                return true; // unsure: report nothing
            foreach (var operation in offset.DescendantsAndSelf())
            {
                switch (operation)
                {
                    case IMemberReferenceOperation { Instance: { } instance, Member: var member }
                        when instance is not IInstanceReferenceOperation
                             && !IsConfigurationType(instance.Type)
                             && !(member is IPropertySymbol { Name: "Value" } && IsConfigurationType(member.ContainingType)):
                        return true;
                    // var seconds = response.ExpiresIn; ... AddSeconds(seconds)
                    case ILocalReferenceOperation local:
                        foreach (var assigned in AssignmentsTo(OperationFacts.Root(local), local.Local))
                        {
                            if (ReadsTheData(assigned, depth + 1))
                                return true;
                        }
                        break;
                }
            }
            return false;
        }

        /// <summary>
        /// An instant read from an object other than this one that is not configuration (<c>ticket.Properties.ExpiresUtc</c>,
        /// <c>session.ExpiresAt</c>): the data's own deadline (RULES.md, CG0001), also when it reaches the write through a
        /// local or a coalesce with a default (<c>ticket.Properties.ExpiresUtc ?? DateTimeOffset.UtcNow.AddMinutes(15)</c>).
        /// </summary>
        private bool IsDataInstant(ITypeSymbol? type, IOperation? instance) =>
            IsClockType(type) && instance is not null and not IInstanceReferenceOperation && !IsConfigurationType(instance.Type);

        private bool IsTimeSpan(ITypeSymbol? type) =>
            type is not null && SymbolEqualityComparer.Default.Equals(OperationFacts.StripNullable(type), _api.TimeSpan);

        private bool IsRandomSymbol(ITypeSymbol? type) =>
            type is not null
            && (SymbolEqualityComparer.Default.Equals(type, _api.Random)
                || SymbolEqualityComparer.Default.Equals(type, _api.RandomNumberGenerator)
                || OperationFacts.IsOrInherits(type, _api.Random)
                || CacheApi.IsRuntimeSymbol(type));

        private bool IsClockType(ITypeSymbol? type) => AbsoluteExpiry.IsInstantType(type, _api);

        private bool IsClockMember(ISymbol symbol) =>
            symbol.Name is "UtcNow" or "Now" or "Today" or "GetUtcNow" or "GetTimestamp" or "GetElapsedTime"
            || (symbol.ContainingType is { } t && (IsClockType(t) || t.Name is "TimeProvider" or "Stopwatch") && symbol.Name.StartsWith("Subtract", System.StringComparison.Ordinal));

        /// <summary>
        /// Values that mean "no expiry" rather than a TTL: Expiration's sentinels, and the
        /// MaxValue / InfiniteTimeSpan of TimeSpan, DateTime, DateTimeOffset and Timeout.
        /// </summary>
        private bool IsExpirationSentinel(ISymbol symbol) =>
            (SymbolEqualityComparer.Default.Equals(symbol.ContainingType, _api.RedisExpiration)
                && symbol.Name is "Default" or "KeepTtl" or "Persist")
            || (symbol.Name is "MaxValue" or "InfiniteTimeSpan"
                && (SymbolEqualityComparer.Default.Equals(symbol.ContainingType, _api.TimeSpan)
                    || IsClockType(symbol.ContainingType)
                    || symbol.ContainingType?.Name == "Timeout"));

        private static bool InitializerMentionsRandom(ISymbol symbol)
        {
            foreach (var reference in symbol.DeclaringSyntaxReferences)
            {
                var node = reference.GetSyntax();
                var initializer = node switch
                {
                    VariableDeclaratorSyntax v => (SyntaxNode?)v.Initializer,
                    PropertyDeclarationSyntax p => (SyntaxNode?)p.Initializer ?? (SyntaxNode?)p.ExpressionBody ?? p.AccessorList,
                    _ => null,
                };
                if (initializer is not null && MentionsRandom(initializer))
                    return true;
            }
            return false;
        }

        private static bool BodyMentionsClock(ISymbol symbol)
        {
            foreach (var reference in symbol.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is PropertyDeclarationSyntax p
                    && ((p.ExpressionBody is { } e && MentionsClock(e)) || (p.AccessorList is { } a && MentionsClock(a))))
                {
                    return true;
                }
            }
            return false;
        }

        // Syntax checks over another member's declaration: no semantic model for other trees in an
        // analyzer, and a false "random" only ever means reporting less.
        private static bool MentionsRandom(SyntaxNode node) =>
            node.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken)
                && (t.ValueText is "Random" or "RandomNumberGenerator" or "NextDouble" or "GetInt32" or "NewGuid" or "Jitter" or "CacheTtl" or "TtlJitter"
                    || t.ValueText.IndexOf("Jitter", System.StringComparison.OrdinalIgnoreCase) >= 0));

        private static bool MentionsClock(SyntaxNode node) =>
            node.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && t.ValueText is "UtcNow" or "Now" or "GetUtcNow");

        /// <summary><c>IConfiguration</c>, <c>IOptions&lt;T&gt;</c>, or a type named for options, settings or configuration.</summary>
        internal static bool IsConfigurationType(ITypeSymbol? type)
        {
            if (type is null)
                return false;
            var name = type.Name;
            return name.IndexOf("Configuration", System.StringComparison.Ordinal) >= 0
                || name.EndsWith("Options", System.StringComparison.Ordinal) || name.EndsWith("Settings", System.StringComparison.Ordinal)
                || name.EndsWith("Config", System.StringComparison.Ordinal) || name is "IOptions" or "IOptionsMonitor" or "IOptionsSnapshot" or "IConfigurationSection";
        }

        internal static string Short(IOperation operation)
        {
            var text = operation.Syntax.ToString();
            return text.Length <= 50 ? text : text.Substring(0, 47) + "...";
        }
    }
}
