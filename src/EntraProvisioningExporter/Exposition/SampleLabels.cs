using System.Collections;
using System.Globalization;
using System.Runtime.CompilerServices;
using OpenTelemetry;

namespace EntraProvisioningExporter.Exposition;

/// <summary>
/// A sample's labels, read where they already are instead of copied on every scrape: the tag collection of the
/// SDK's metric point, or a plain array (tests and hand-made families). Copying them was one array per series per
/// scrape (at 10,000 jobs 432,000 arrays, 33 MB, which outlived the scrape's gen0 collections and fragmented
/// gen2). Keeping the point's tag collection past Export is safe: it wraps the array the SDK created the point
/// with, which is also the key it finds the point by, so it is never changed.
/// </summary>
[CollectionBuilder(typeof(SampleLabels), nameof(Create))]
public readonly struct SampleLabels : IEnumerable<KeyValuePair<string, string>>
{
    private readonly KeyValuePair<string, string>[]? pairs;
    private readonly ReadOnlyTagCollection tags;
    private readonly bool fromTags;

    public SampleLabels(KeyValuePair<string, string>[] pairs) => this.pairs = pairs;

    public SampleLabels(ReadOnlyTagCollection tags)
    {
        this.tags = tags;
        fromTags = true;
    }

    public int Count => fromTags ? tags.Count : pairs?.Length ?? 0;

    public static implicit operator SampleLabels(KeyValuePair<string, string>[] pairs) => new(pairs);

    /// <summary>For collection expressions: <c>[new("job_id", "j")]</c>.</summary>
    public static SampleLabels Create(ReadOnlySpan<KeyValuePair<string, string>> pairs) => new(pairs.ToArray());

    /// <summary>A tag value as label text: strings as they are, numbers and booleans invariantly, null as empty.</summary>
    public static string Text(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var o => o.ToString() ?? "",
    };

    public Enumerator GetEnumerator() => new(this);

    IEnumerator<KeyValuePair<string, string>> IEnumerable<KeyValuePair<string, string>>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Allocation-free over either source (foreach binds to this struct, not the interface).</summary>
    public struct Enumerator : IEnumerator<KeyValuePair<string, string>>
    {
        private readonly KeyValuePair<string, string>[]? pairs;
        private ReadOnlyTagCollection.Enumerator tags;
        private int index;

        internal Enumerator(SampleLabels labels)
        {
            pairs = labels.fromTags ? null : labels.pairs ?? [];
            tags = labels.fromTags ? labels.tags.GetEnumerator() : default;
            index = -1;
            Current = default;
        }

        public KeyValuePair<string, string> Current { get; private set; }

        readonly object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            if (pairs is not null)
            {
                if (++index >= pairs.Length) return false;
                Current = pairs[index];
                return true;
            }
            if (!tags.MoveNext()) return false;
            Current = new(tags.Current.Key, Text(tags.Current.Value));
            return true;
        }

        public void Reset() => throw new NotSupportedException();

        public readonly void Dispose() { }
    }
}
