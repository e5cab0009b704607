using System.Globalization;
using System.Text.Json;

namespace EntraProvisioningExporter.Sources.LogAnalytics;

// The shapes of Azure.Monitor.Query's LogsQueryClient, so that package can replace ours where it is available.

public readonly record struct QueryTimeRange(DateTimeOffset Start, DateTimeOffset End)
{
    /// <summary>The REST API's "timespan": an ISO 8601 interval.</summary>
    public string ToIsoString() => $"{Iso(Start)}/{Iso(End)}";

    internal static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);
}

public sealed class LogsQueryOptions
{
    /// <summary>How long the service may run the query (sent as Prefer: wait=N; the service's maximum is 10 minutes).</summary>
    public TimeSpan? ServerTimeout { get; init; }

    /// <summary>
    /// When false (the default, as in the SDK) a PartialError result throws <see cref="LogsQueryPartialFailureException"/>.
    /// </summary>
    public bool AllowPartialErrors { get; init; }
}

public enum LogsQueryResultStatus { Success, PartialFailure }

public sealed record LogsQueryError(string Code, string Message);

public sealed record LogsTableColumn(string Name, string Type);

public sealed class LogsQueryResult(LogsQueryResultStatus status, LogsQueryError? error, IReadOnlyList<LogsTable> allTables)
{
    public LogsQueryResultStatus Status { get; } = status;
    public LogsQueryError? Error { get; } = error;
    public IReadOnlyList<LogsTable> AllTables { get; } = allTables;

    /// <summary>The primary result table.</summary>
    public LogsTable Table => AllTables.Count == 1 ? AllTables[0] : AllTables.FirstOrDefault(t => t.Name == "PrimaryResult")
        ?? throw new InvalidDataException("The result has no primary table.");
}

/// <summary>A result table: typed columns, rows of JSON cells read by column name.</summary>
public sealed class LogsTable
{
    private readonly Dictionary<string, int> index;

    public LogsTable(string name, IReadOnlyList<LogsTableColumn> columns, IReadOnlyList<LogsTableRow> rows)
    {
        Name = name;
        Columns = columns;
        Rows = rows;
        index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < columns.Count; i++) index.TryAdd(columns[i].Name, i);
    }

    public string Name { get; }
    public IReadOnlyList<LogsTableColumn> Columns { get; }
    public IReadOnlyList<LogsTableRow> Rows { get; }

    public bool HasColumn(string name) => index.ContainsKey(name);

    /// <summary>The column's position; an unexpected table shape is a clear error naming the column.</summary>
    public int Ordinal(string name) => index.TryGetValue(name, out var i)
        ? i
        : throw new MissingColumnException($"The result has no column '{name}' (columns: "
            + $"{string.Join(", ", Columns.Select(c => c.Name))}).");
}

/// <summary>The table lacks a column a query's reader needs: the shape of the whole result is wrong, not one row.</summary>
public sealed class MissingColumnException(string message) : FormatException(message);

/// <summary>One row. Cells keep their JSON form; getters convert by the column's declared type, and null stays null.</summary>
public sealed class LogsTableRow(LogsTable? table, JsonElement[] cells)
{
    internal LogsTable? Table { get; set; } = table;

    public int Count => cells.Length;

    public JsonElement this[int ordinal] => cells[ordinal];

    private JsonElement Cell(string column) => cells[Table!.Ordinal(column)];

    public string? GetString(string column) => Cell(column) switch
    {
        { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => null,
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        var other => other.GetRawText(),
    };

    public long? GetInt64(string column) => Cell(column) switch
    {
        { ValueKind: JsonValueKind.Number } n when n.TryGetInt64(out var l) => l,
        { ValueKind: JsonValueKind.Number } n => checked((long)n.GetDouble()),
        { ValueKind: JsonValueKind.String } s when long.TryParse(s.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture,
            out var l) => l,
        { ValueKind: JsonValueKind.Null } => null,
        var other => throw new InvalidDataException($"Column '{column}' is not an integer: {other.GetRawText()}"),
    };

    public double? GetDouble(string column) => Cell(column) switch
    {
        { ValueKind: JsonValueKind.Number } n => n.GetDouble(),
        // The service writes NaN and infinities as strings.
        { ValueKind: JsonValueKind.String } s when double.TryParse(s.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture,
            out var d) => d,
        { ValueKind: JsonValueKind.String } s when s.GetString() is "NaN" => double.NaN,
        { ValueKind: JsonValueKind.String } s when s.GetString() is "Infinity" => double.PositiveInfinity,
        { ValueKind: JsonValueKind.String } s when s.GetString() is "-Infinity" => double.NegativeInfinity,
        { ValueKind: JsonValueKind.True } => 1,
        { ValueKind: JsonValueKind.False } => 0,
        { ValueKind: JsonValueKind.Null } => null,
        var other => throw new InvalidDataException($"Column '{column}' is not a number: {other.GetRawText()}"),
    };

    public DateTimeOffset? GetDateTimeOffset(string column) => Cell(column) switch
    {
        { ValueKind: JsonValueKind.String } s when DateTimeOffset.TryParse(s.GetString(), CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) => t,
        { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.String } s when s.GetString() is "" => null,
        var other => throw new InvalidDataException($"Column '{column}' is not a datetime: {other.GetRawText()}"),
    };

    /// <summary>A dynamic column: the service sends JSON as a string (sometimes as an object); either way, the parsed value.</summary>
    public JsonElement? GetDynamic(string column)
    {
        var cell = Cell(column);
        switch (cell.ValueKind)
        {
            case JsonValueKind.Null or JsonValueKind.Undefined:
                return null;
            case JsonValueKind.String:
                var text = cell.GetString();
                if (string.IsNullOrEmpty(text)) return null;
                try
                {
                    using var doc = JsonDocument.Parse(text);
                    return doc.RootElement.Clone();
                }
                catch (JsonException)
                {
                    return cell; // not JSON after all: the string itself
                }
            default:
                return cell;
        }
    }
}

/// <summary>A PartialError result when partial errors are not allowed: the data may be incomplete and is not used.</summary>
public sealed class LogsQueryPartialFailureException(LogsQueryError error)
    : Exception($"The query returned a partial result ({error.Code}): {error.Message}")
{
    public LogsQueryError Error { get; } = error;
}
