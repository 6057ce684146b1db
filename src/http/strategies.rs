//! Proptest strategies shared by this folder's unit tests: text as a server might send
//! it, and JSON documents of any shape. Test code only.

use proptest::prelude::*;
use serde_json::Value;

/// Up to `max_chars` characters of any kind, with what parsers trip on made common:
/// line breaks, quotes, backslashes, JSON's and `Link`'s separators, an escape and a
/// bidirectional control.
pub(super) fn wild_text(max_chars: usize) -> impl Strategy<Value = String> {
    let tricky = prop::sample::select(vec![
        '\n', '\r', '"', '\\', ',', ';', ':', '=', '<', '>', '[', ']', '{', '}', ' ', '\u{1b}',
        '\u{202e}',
    ]);
    prop::collection::vec(prop_oneof![3 => any::<char>(), 2 => tricky], 0..=max_chars)
        .prop_map(String::from_iter)
}

/// Any JSON value, containers nested up to `depth` deep with up to 6 items each; keys
/// and strings are [`wild_text`].
pub(super) fn json_value(depth: u32) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        // Not finite: `null`, as serde_json makes it.
        any::<f64>().prop_map(Value::from),
        wild_text(40).prop_map(Value::from),
    ];
    leaf.prop_recursive(depth, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((wild_text(12), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}
