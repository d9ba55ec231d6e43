//! Property tests (diff then apply gives the new document, for RFC 7396 and RFC 6902; CBOR round
//! trips) and the behaviour of limits and rejections.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code"
)]

use iot_twin::serde_json::{self, json};
use iot_twin::{Error, Limits, Map, Patch, PatchError, PointerError, Value, cbor, equal, merge, patch};
use proptest::prelude::*;

/// Documents within limits: depth <= 5, small keys from a tiny alphabet (so diffs find common
/// members), no nulls (merge patches cannot set null).
fn doc() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|i| json!(i)),
        (-1000.0f64..1000.0).prop_map(|f| json!(f)),
        "[a-c]{0,3}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map("[a-e]{1,2}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

/// A merge patch: a document whose leaves may be `null` (deletions).
fn merge_patch() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|i| json!(i)),
        "[a-c]{0,3}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::btree_map("[a-e]{1,2}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The device's step reports exactly `diff(old, new)` and leaves what `apply` leaves.
    #[test]
    fn apply_reporting_is_apply_then_diff(old in doc(), patch in merge_patch()) {
        let mut expected = old.clone();
        merge::apply(&mut expected, &patch).unwrap();
        let want = merge::diff(&old, &expected).unwrap();
        let mut state = old.clone();
        let got = merge::apply_reporting(&mut state, &patch).unwrap();
        prop_assert_eq!(&state, &expected);
        prop_assert_eq!(got, want);
    }

    /// `apply` (which reuses the target's strings and arrays in place) leaves exactly what RFC
    /// 7396's pseudocode, cloning every replaced value, leaves.
    #[test]
    fn apply_is_the_rfc_pseudocode(old in doc(), patch in merge_patch()) {
        fn reference(target: &Value, patch: &Value) -> Value {
            let Value::Object(p) = patch else { return patch.clone() };
            let mut t = match target { Value::Object(m) => m.clone(), _ => Map::new() };
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    let merged = reference(t.get(k).unwrap_or(&Value::Null), v);
                    t.insert(k.clone(), merged);
                }
            }
            Value::Object(t)
        }
        let want = reference(&old, &patch);
        let mut got = old.clone();
        merge::apply(&mut got, &patch).unwrap();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn merge_diff_then_apply_gives_new(old in doc(), new in doc()) {
        let p = merge::diff(&old, &new).unwrap();
        let mut work = old.clone();
        merge::apply(&mut work, &p).unwrap();
        prop_assert!(equal(&work, &new), "patch {} gave {} not {}", p, work, new);
        // Minimal in the sense that matters: identical documents give an empty patch.
        let empty = json!({});
        let same = merge::diff(&new, &new).unwrap();
        prop_assert!(!new.is_object() || equal(&same, &empty));
    }

    #[test]
    fn json_patch_diff_then_apply_gives_new(old in doc(), new in doc()) {
        let p = patch::diff(&old, &new).unwrap();
        let mut work = old.clone();
        p.apply(&mut work).unwrap();
        prop_assert!(equal(&work, &new), "patch {} gave {} not {}", p.to_value(), work, new);
        prop_assert_eq!(Patch::from_value(&p.to_value()).unwrap(), p);
        prop_assert!(patch::diff(&new, &new).unwrap().0.is_empty());
    }

    #[test]
    fn cbor_round_trip(v in doc()) {
        let bytes = cbor::to_vec(&v);
        let back = cbor::from_slice(&bytes).unwrap();
        prop_assert!(equal(&back, &v));
        prop_assert_eq!(cbor::to_vec(&back), bytes);
    }

    #[test]
    fn arbitrary_cbor_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
        if let Ok(v) = cbor::from_slice(&bytes) {
            // Whatever decodes re-encodes and decodes to the same value.
            prop_assert!(equal(&cbor::from_slice(&cbor::to_vec(&v)).unwrap(), &v));
        }
    }

    #[test]
    fn failing_patch_leaves_document_unchanged(old in doc(), new in doc()) {
        let mut ops = patch::diff(&old, &new).unwrap().to_value();
        ops.as_array_mut().unwrap().push(json!({"op": "test", "path": "", "value": "never"}));
        let p = Patch::from_value(&ops).unwrap();
        let mut work = old.clone();
        prop_assert!(p.apply(&mut work).is_err());
        prop_assert_eq!(work, old);
    }
}

#[test]
fn merge_diff_refuses_to_set_null() {
    assert!(matches!(merge::diff(&json!({}), &json!({"a": null})), Err(Error::NotRepresentable)));
    assert!(matches!(merge::diff(&json!({"a": 1}), &json!({"a": {"b": null}})), Err(Error::NotRepresentable)));
    // an existing null that stays is fine
    assert_eq!(merge::diff(&json!({"a": null}), &json!({"a": null, "b": 1})).unwrap(), json!({"b": 1}));
    // a non-object target with an object patch starts from {}
    assert_eq!(merge::diff(&json!([1]), &json!({"x": 1})).unwrap(), json!({"x": 1}));
}

#[test]
fn numbers_compare_by_value() {
    assert!(equal(&json!(1), &json!(1.0)));
    assert!(equal(&json!({"a": [1, 2.0]}), &json!({"a": [1.0, 2]})));
    assert!(!equal(&json!(1), &json!(1.5)));
    assert!(!equal(&json!(u64::MAX), &json!(-1)));
    assert!(merge::diff(&json!({"t": 1}), &json!({"t": 1.0})).unwrap() == json!({}));
}

#[test]
fn patch_errors_name_the_operation() {
    let mut doc = json!({"a": [1, 2]});
    let cases: &[(Value, usize, PatchError)] = &[
        (json!({}), 0, PatchError::Malformed { what: "patch is not an array" }),
        (json!([1]), 0, PatchError::Malformed { what: "operation is not an object" }),
        (json!([{"op": "frob", "path": ""}]), 0, PatchError::Malformed { what: "op" }),
        (json!([{"op": "add", "path": "/x"}]), 0, PatchError::Malformed { what: "value" }),
        (json!([{"op": "add", "value": 1}]), 0, PatchError::Malformed { what: "path" }),
        (json!([{"op": "move", "path": "/x"}]), 0, PatchError::Malformed { what: "from" }),
        (
            json!([{"op": "test", "path": "/a/0", "value": 1}, {"op": "add", "path": "x", "value": 1}]),
            1,
            PatchError::Pointer(PointerError::MissingSlash),
        ),
        (json!([{"op": "remove", "path": "/a/2"}]), 0, PatchError::Pointer(PointerError::OutOfRange)),
        (json!([{"op": "remove", "path": "/a/01"}]), 0, PatchError::Pointer(PointerError::BadIndex)),
        (json!([{"op": "remove", "path": "/a/-"}]), 0, PatchError::Pointer(PointerError::EndOfArray)),
        (json!([{"op": "replace", "path": "/b", "value": 1}]), 0, PatchError::Pointer(PointerError::NotFound)),
        (json!([{"op": "add", "path": "/a/0/x", "value": 1}]), 0, PatchError::Pointer(PointerError::NotContainer)),
        (json!([{"op": "test", "path": "/a", "value": [1]}]), 0, PatchError::TestFailed),
        (json!([{"op": "move", "from": "/a", "path": "/a/0"}]), 0, PatchError::MoveIntoChild),
        (json!([{"op": "remove", "path": ""}]), 0, PatchError::Malformed { what: "cannot remove the whole document" }),
    ];
    for (p, op, kind) in cases {
        let r = Patch::from_value(p).and_then(|p| p.apply(&mut doc));
        match r {
            Err(Error::Patch { op: o, kind: k }) => assert_eq!((o, k), (*op, *kind), "{p}"),
            other => panic!("{p}: {other:?}"),
        }
        assert_eq!(doc, json!({"a": [1, 2]}), "{p}: document changed");
    }
}

#[test]
fn limits_aws_and_azure() {
    Limits::AWS.check(&json!({"fw": {"version": "2.0"}, "list": [1, 2]})).unwrap();
    // depth below the root: 7 nested objects > 6
    let deep = json!({"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": 1}}}}}}}});
    assert!(matches!(Limits::AWS.check(&deep), Err(Error::TooDeep { depth: 7, limit: 6 })));
    Limits::AWS.check(&json!({"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}})).unwrap();
    Limits::AZURE.check(&deep).unwrap();
    // null in arrays: AWS rejects, Azure allows
    assert!(matches!(Limits::AWS.check(&json!({"a": [1, null]})), Err(Error::BadValue)));
    Limits::AZURE.check(&json!({"a": [1, null]})).unwrap();
    // Azure key rules
    for bad in ["a.b", "$x", "a b"] {
        assert!(matches!(Limits::AZURE.check(&json!({ bad: 1 })), Err(Error::BadKey)), "{bad}");
    }
    assert!(matches!(Limits::AZURE.check(&json!({ "k".repeat(1025): 1 })), Err(Error::BadKey)));
    Limits::AZURE.check(&json!({ "k".repeat(1024): 1 })).unwrap();
    // Azure integer range -2^52 ..= 2^52 - 1 (floats are not integers) and string length
    assert!(matches!(Limits::AZURE.check(&json!({"n": 1i64 << 52})), Err(Error::BadValue)));
    Limits::AZURE.check(&json!({"n": (1i64 << 52) - 1, "m": -(1i64 << 52), "f": 1e300})).unwrap();
    assert!(matches!(Limits::AZURE.check(&json!({"s": "x".repeat(4097)})), Err(Error::BadValue)));
    // size: the counted size equals serde_json's compact output
    let doc = json!({"a\n\"b": ["x\u{1}y", 1.5, -3, true, null, {}], "c": {"d": []}});
    let exact = serde_json::to_string(&doc).unwrap().len();
    let mut l = Limits::GENERIC;
    l.max_bytes = exact;
    l.check(&doc).unwrap();
    l.max_bytes = exact - 1;
    assert!(matches!(l.check(&doc), Err(Error::TooLarge { size, .. }) if size == exact));
}

#[test]
fn cbor_rejections() {
    let h = |s: &str| hex::decode(s.replace(' ', "")).unwrap();
    let cases: &[(&str, &str)] = &[
        ("40", "byte string"),
        ("c1 00", "tag"),
        ("f7", "simple value"),
        ("a1 01 02", "map key that is not a text string"),
        ("a2 61 61 01 61 61 02", "duplicate map key"),
        ("f9 7e 00", "NaN or infinite float"),
        ("3b ff ff ff ff ff ff ff ff", "integer below -2^63"),
    ];
    for (hexs, what) in cases {
        match cbor::from_slice(&h(hexs)) {
            Err(Error::UnsupportedCbor { what: w }) => assert_eq!(w, *what, "{hexs}"),
            other => panic!("{hexs}: {other:?}"),
        }
    }
    assert!(matches!(cbor::from_slice(&h("01 01")), Err(Error::Cbor(_))));
    assert!(matches!(cbor::from_slice(&h("9f ff")), Err(Error::Cbor(_))));
    let deep = [vec![0x81u8; 65], vec![0]].concat();
    assert!(matches!(cbor::from_slice(&deep), Err(Error::TooDeep { depth: 65, limit: 64 })));
    assert!(cbor::from_slice_with_depth(&deep, 65).is_ok());
    // A caller's bound is capped at the recursion bound, so hostile nesting cannot overflow the
    // stack even with usize::MAX.
    let hostile = [vec![0x81u8; 100_000], vec![0]].concat();
    assert!(matches!(
        cbor::from_slice_with_depth(&hostile, usize::MAX),
        Err(Error::TooDeep { depth: 257, limit: 256 })
    ));
}

#[test]
fn merge_guards_recursion() {
    let mut v = json!(1);
    for _ in 0..300 {
        v = json!({ "a": v });
    }
    let mut t = json!({});
    assert!(matches!(merge::apply(&mut t, &v), Err(Error::TooDeep { .. })));
    assert_eq!(t, json!({}));
    assert!(matches!(patch::diff(&json!({}), &v), Err(Error::TooDeep { .. })));
    // the same depth reached by walking down both documents, and inside arrays
    assert!(matches!(patch::diff(&v, &json!({"a": v.clone()})), Err(Error::TooDeep { .. })));
    let arr = json!([v.clone()]);
    assert!(matches!(patch::diff(&arr, &arr), Err(Error::TooDeep { .. })));
    let mut w = json!(2);
    for _ in 0..300 {
        w = json!({ "a": w });
    }
    assert!(matches!(patch::diff(&v, &w), Err(Error::TooDeep { .. })));
}

/// The undo log restores the document for every kind of operation, moves included.
#[test]
fn undo_log_restores_every_operation() {
    let doc = json!({"a": [1, 2, 3, {"x": 1}], "b": {"c": "d", "e": [true]}, "f": null});
    let fail = json!({"op": "test", "path": "/b/c", "value": "never"});
    let sequences = [
        json!([{"op": "move", "from": "/a/0", "path": "/a/3"}]),
        json!([{"op": "move", "from": "/a/3", "path": "/a/0"}]),
        json!([{"op": "move", "from": "/a/1", "path": "/a/-"}]),
        json!([{"op": "move", "from": "/b/c", "path": "/f"}]),
        json!([{"op": "move", "from": "/b", "path": ""}]),
        json!([{"op": "move", "from": "/b/e", "path": "/a/0"}, {"op": "remove", "path": "/a/1"}]),
        json!([{"op": "copy", "from": "/a", "path": "/b/c"}, {"op": "copy", "from": "/b", "path": "/a/-"}]),
        json!([{"op": "add", "path": "", "value": 5}, {"op": "add", "path": "", "value": {"z": 1}}]),
        json!([{"op": "replace", "path": "", "value": [1]}, {"op": "add", "path": "/0", "value": 2}]),
        json!([{"op": "remove", "path": "/a/0"}, {"op": "remove", "path": "/a/0"}, {"op": "add", "path": "/a/1", "value": 9}]),
        json!([{"op": "replace", "path": "/b/e/0", "value": false}, {"op": "add", "path": "/b/c", "value": 1}]),
        // a move whose add fails after its remove: the value must come back
        json!([{"op": "move", "from": "/a/0", "path": "/a/9"}]),
    ];
    for ops in sequences {
        let mut with_fail = ops.as_array().unwrap().clone();
        with_fail.push(fail.clone());
        let p = Patch::from_value(&Value::Array(with_fail)).unwrap();
        let mut work = doc.clone();
        assert!(p.apply(&mut work).is_err(), "{ops}");
        assert_eq!(work, doc, "{ops}: not restored");
    }
}

mod offline {
    use super::*;
    use iot_twin::Pointer;
    use iot_twin::offline::{ConflictPolicy, OfflineShadow, Step, Winner, merge3};

    #[test]
    fn reports_coalesce_and_acks_advance_the_base() {
        let mut dev = OfflineShadow::new(json!({"fw": "1.0", "temp": 20, "mode": "eco"}));
        assert_eq!(dev.outgoing().unwrap(), None);
        dev.report(&json!({"temp": 21})).unwrap();
        dev.report(&json!({"mode": null})).unwrap();
        dev.report(&json!({"temp": 20})).unwrap(); // back to the acknowledged value: nothing to send for it
        assert_eq!(dev.outgoing().unwrap(), Some(json!({"mode": null})));
        let sent = dev.outgoing().unwrap().unwrap();
        dev.report(&json!({"fw": "2.0"})).unwrap(); // after sending, before the ack
        dev.acknowledge(&sent).unwrap();
        assert_eq!(dev.outgoing().unwrap(), Some(json!({"fw": "2.0"})));
        dev.acknowledge(&json!({"fw": "2.0"})).unwrap();
        assert_eq!(dev.outgoing().unwrap(), None);
        assert_eq!(dev.local(), &json!({"fw": "2.0", "temp": 20}));
    }

    /// A null member held locally is sent as a deletion; members deleted locally are deleted in
    /// the cloud too (a whole-document fallback would silently keep them).
    #[test]
    fn outgoing_sends_null_members_and_deletions_as_deletions() {
        let mut dev = OfflineShadow::new(json!({"a": null, "b": 1, "c": {"d": 1, "e": null}}));
        assert_eq!(dev.outgoing().unwrap(), Some(json!({"a": null, "c": {"e": null}})));
        dev.acknowledge(&json!({"a": null, "c": {"e": null}})).unwrap();
        assert_eq!(dev.outgoing().unwrap(), None);
        dev.report(&json!({"b": null, "c": {"x": [null, 1]}})).unwrap();
        let p = dev.outgoing().unwrap().unwrap();
        assert_eq!(p, json!({"b": null, "c": {"x": [null, 1]}}));
        let mut cloud = json!({"b": 1, "c": {"d": 1}});
        merge::apply(&mut cloud, &p).unwrap();
        // The cloud now holds the device's state, with its null members as absent members.
        assert_eq!(dev.local(), &json!({"a": null, "c": {"d": 1, "e": null, "x": [null, 1]}}));
        assert_eq!(cloud, json!({"c": {"d": 1, "x": [null, 1]}}));
    }

    #[test]
    fn desired_in_version_order() {
        let mut dev = OfflineShadow::new(json!({}));
        assert_eq!(dev.on_desired(1, &json!({"a": 1})).unwrap(), Step::Applied);
        assert_eq!(dev.on_desired(2, &json!({"b": 2})).unwrap(), Step::Applied);
        assert_eq!(dev.on_desired(2, &json!({"b": 3})).unwrap(), Step::Stale);
        assert_eq!(dev.on_desired(1, &json!({"a": 9})).unwrap(), Step::Stale);
        assert_eq!(dev.on_desired(4, &json!({"c": 4})).unwrap(), Step::Gap);
        assert_eq!(dev.desired(), (&json!({"a": 1, "b": 2}), 2));
        dev.resync(4, json!({"a": 1, "b": 2, "c": 4}), json!({}), &ConflictPolicy::new(Winner::Local)).unwrap();
        assert_eq!(dev.on_desired(5, &json!({"a": null})).unwrap(), Step::Applied);
        assert_eq!(dev.desired(), (&json!({"b": 2, "c": 4}), 5));
    }

    #[test]
    fn three_way_merge_with_policy() {
        let base = json!({"fw": "1.0", "cfg": {"rate": 5, "mode": "eco"}, "label": "a", "gone": 1, "list": [1]});
        let local = json!({"fw": "2.0", "cfg": {"rate": 10, "mode": "eco"}, "label": "b", "list": [1, 2]});
        let cloud = json!({"fw": "1.0", "cfg": {"rate": 7, "mode": "fast"}, "label": "c", "gone": 1, "list": [3]});
        let policy = ConflictPolicy::new(Winner::Local).prefer(Pointer::parse("/cfg").unwrap(), Winner::Cloud);
        let m = merge3(&base, &local, &cloud, &policy).unwrap();
        // fw: local only; cfg/mode: cloud only; cfg/rate: both -> /cfg rule says cloud;
        // label and list: both -> default local; gone: deleted locally, unchanged in cloud -> deleted.
        assert_eq!(m.value, json!({"fw": "2.0", "cfg": {"rate": 7, "mode": "fast"}, "label": "b", "list": [1, 2]}));
        let mut c: Vec<String> = m.conflicts.iter().map(ToString::to_string).collect();
        c.sort();
        assert_eq!(c, ["/cfg/rate", "/label", "/list"]);
        // Same change on both sides is no conflict.
        let m = merge3(&json!({"a": 1}), &json!({"a": 2}), &json!({"a": 2}), &policy).unwrap();
        assert!(m.conflicts.is_empty());
        // Deleted on one side, changed on the other: a conflict the policy resolves.
        let m = merge3(&json!({"a": 1}), &json!({}), &json!({"a": 2}), &ConflictPolicy::new(Winner::Cloud)).unwrap();
        assert_eq!((m.value, m.conflicts.len()), (json!({"a": 2}), 1));
    }

    #[test]
    fn resync_reconciles_reported_state() {
        let mut dev = OfflineShadow::new(json!({"fw": "1.0", "note": "x"}));
        dev.report(&json!({"fw": "2.0"})).unwrap(); // offline install
        // Meanwhile a back-end tool edited the reported note in the cloud.
        let conflicts = dev
            .resync(7, json!({"fw": "2.0"}), json!({"fw": "1.0", "note": "y"}), &ConflictPolicy::new(Winner::Local))
            .unwrap();
        assert!(conflicts.is_empty());
        assert_eq!(dev.local(), &json!({"fw": "2.0", "note": "y"}));
        assert_eq!(dev.outgoing().unwrap(), Some(json!({"fw": "2.0"})));
    }

    /// A hostile cloud document nested past the recursion bound is refused, and the shadow is
    /// left as it was.
    #[test]
    fn resync_refuses_documents_past_the_recursion_bound() {
        let mut deep = json!(1);
        for _ in 0..300 {
            deep = json!({ "a": deep });
        }
        let p = ConflictPolicy::new(Winner::Local);
        assert!(matches!(merge3(&json!({}), &json!({}), &deep, &p), Err(Error::TooDeep { .. })));
        let mut dev = OfflineShadow::new(json!({"fw": "1.0"}));
        dev.report(&json!({"fw": "2.0"})).unwrap();
        let before = dev.clone();
        assert!(matches!(dev.resync(9, json!({}), deep.clone(), &p), Err(Error::TooDeep { .. })));
        assert!(matches!(dev.resync(9, deep, json!({}), &p), Err(Error::TooDeep { .. })));
        assert_eq!(dev, before);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        /// With no concurrent cloud change, the merge is the local document, and vice versa.
        #[test]
        fn merge3_one_sided(base in doc(), other in doc()) {
            let p = ConflictPolicy::new(Winner::Cloud);
            let m = merge3(&base, &other, &base, &p).unwrap();
            prop_assert!(equal(&m.value, &other) && m.conflicts.is_empty());
            let m = merge3(&base, &base, &other, &p).unwrap();
            prop_assert!(equal(&m.value, &other) && m.conflicts.is_empty());
        }
    }
}
