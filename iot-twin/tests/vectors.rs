//! Conformance with the public suites in ../shared/vectors/twin (see its README): RFC 6902
//! apply (json-patch-tests, json-patch-rs incl. atomicity), RFC 6902 diff (java-json-tools),
//! RFC 7396 apply and diff (RFC examples in JSON and CBOR, java-json-tools, json-patch-rs), and
//! RFC 6901 pointers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use iot_test_vectors::{area, json, unhex};
use iot_twin::{Patch, Pointer, Value, cbor, equal, merge, patch, serde_json};
use std::path::Path;

fn cases(dir: &Path, file: &str) -> Vec<Value> {
    json(&dir.join(file)).as_array().unwrap().clone()
}

/// Runs an RFC 6902 apply suite; returns (checked, skipped-disabled, failures).
fn run_6902(dir: &Path, file: &str, atomic_check: bool) -> (usize, usize, Vec<String>) {
    let (mut checked, mut disabled, mut failures) = (0, 0, Vec::new());
    for (i, c) in cases(dir, file).iter().enumerate() {
        if c.get("disabled").and_then(Value::as_bool) == Some(true) {
            disabled += 1;
            continue;
        }
        let Some(doc) = c.get("doc") else { continue };
        checked += 1;
        let name = format!("{file}#{i} {}", c.get("comment").and_then(Value::as_str).unwrap_or(""));
        let mut work = doc.clone();
        let result = Patch::from_value(&c["patch"]).and_then(|p| p.apply(&mut work));
        match (c.get("expected"), c.get("error"), result) {
            (Some(exp), _, Ok(())) if equal(&work, exp) => {}
            (Some(exp), _, r) => failures.push(format!("{name}: expected {exp}, got {r:?} / {work}")),
            (None, Some(_), Err(_)) => {
                if atomic_check && work != *doc {
                    failures.push(format!("{name}: failed patch changed the document"));
                }
            }
            (None, Some(e), Ok(())) => failures.push(format!("{name}: expected error {e}, got {work}")),
            (None, None, r) => {
                // No expectation: only "does not crash" is claimed by the suite.
                let _ = r;
            }
        }
        // A failing patch must always leave the document untouched.
        if c.get("error").is_some() && work != *doc {
            failures.push(format!("{name}: not atomic"));
        }
    }
    (checked, disabled, failures)
}

#[test]
fn rfc6902_json_patch_tests_upstream() {
    let Some(dir) = area("twin") else { return };
    let mut total = 0;
    let mut all = Vec::new();
    for f in ["json-patch-tests/tests.json", "json-patch-tests/spec_tests.json"] {
        let (n, d, fails) = run_6902(&dir, f, true);
        total += cases(&dir, f).len();
        println!("{f}: {n} checked, {d} disabled, {} failed", fails.len());
        all.extend(fails);
    }
    assert_eq!(total, 112, "json-patch-tests record count");
    assert!(all.is_empty(), "{}", all.join("\n"));
}

#[test]
fn rfc6902_json_patch_rs_and_atomicity() {
    let Some(dir) = area("twin") else { return };
    let (n, d, mut fails) = run_6902(&dir, "json-patch-rs/tests.json", true);
    println!("json-patch-rs/tests.json: {n} checked, {d} disabled, {} failed", fails.len());
    let (n2, _, f2) = run_6902(&dir, "json-patch-rs/revert_tests.json", true);
    println!("json-patch-rs/revert_tests.json: {n2} checked, {} failed", f2.len());
    assert_eq!(n2, 13);
    fails.extend(f2);
    // merge_tests.json: RFC 7396 records
    let merges = cases(&dir, "json-patch-rs/merge_tests.json");
    assert_eq!(merges.len(), 3);
    for c in &merges {
        let mut doc = c["doc"].clone();
        merge::apply(&mut doc, &c["patch"]).unwrap();
        if !equal(&doc, &c["expected"]) {
            fails.push(format!("merge_tests {}: got {doc}", c["comment"]));
        }
    }
    assert_eq!(cases(&dir, "json-patch-rs/tests.json").len() + 13 + 3, 121);
    assert!(fails.is_empty(), "{}", fails.join("\n"));
}

#[test]
fn rfc6902_diff_java_json_tools() {
    let Some(dir) = area("twin") else { return };
    let all = cases(&dir, "java-json-tools/diff.json");
    assert_eq!(all.len(), 14);
    let mut fails = Vec::new();
    let (mut not_longer, mut total) = (0, 0);
    for (i, c) in all.iter().enumerate() {
        let (first, second) = (&c["first"], &c["second"]);
        let p = patch::diff(first, second).unwrap();
        let mut work = first.clone();
        // The diff must apply, and must re-parse from its JSON form.
        let reparsed = Patch::from_value(&p.to_value()).unwrap();
        assert_eq!(reparsed, p);
        p.apply(&mut work).unwrap();
        if !equal(&work, second) {
            fails.push(format!("diff #{i} ({}): {} gives {work}", c["message"], p.to_value()));
        }
        total += 1;
        if p.0.len() <= c["patch"].as_array().unwrap().len() {
            not_longer += 1;
        }
    }
    println!("java-json-tools/diff.json: {total} diffs apply; {not_longer} no longer than the reference");
    assert!(fails.is_empty(), "{}", fails.join("\n"));
}

/// The RFC 7396 examples plus java-json-tools' merge cases: apply; and diff then apply gives the
/// expected document whenever it is representable.
#[test]
fn rfc7396_apply_and_diff() {
    let Some(dir) = area("twin") else { return };
    let mut triples: Vec<(String, Value, Value, Value)> = Vec::new();
    for c in cases(&dir, "rfc7396_examples.json") {
        triples.push((c["comment"].to_string(), c["doc"].clone(), c["patch"].clone(), c["expected"].clone()));
    }
    assert_eq!(triples.len(), 17);
    for (i, c) in cases(&dir, "java-json-tools/mergepatch-object.json").iter().enumerate() {
        triples.push((format!("mergepatch-object#{i}"), c["victim"].clone(), c["patch"].clone(), c["result"].clone()));
    }
    for (i, c) in cases(&dir, "java-json-tools/mergepatch-nonobject.json").iter().enumerate() {
        triples.push((
            format!("mergepatch-nonobject#{i}"),
            c["victim"].clone(),
            c["patch"].clone(),
            c["patch"].clone(),
        ));
    }
    assert_eq!(triples.len(), 17 + 10 + 3);
    let (mut diffs, mut unrepresentable) = (0, 0);
    for (name, doc, p, expected) in &triples {
        let mut work = doc.clone();
        merge::apply(&mut work, p).unwrap();
        assert!(equal(&work, expected), "{name}: got {work}, expected {expected}");
        // Idempotent (safe for at-least-once delivery).
        merge::apply(&mut work, p).unwrap();
        assert!(equal(&work, expected), "{name}: not idempotent");
        match merge::diff(doc, expected) {
            Ok(d) => {
                let mut again = doc.clone();
                merge::apply(&mut again, &d).unwrap();
                assert!(equal(&again, expected), "{name}: diff {d} gives {again}");
                diffs += 1;
            }
            Err(iot_twin::Error::NotRepresentable) => {
                assert!(has_null_member(expected), "{name}: wrongly unrepresentable");
                unrepresentable += 1;
            }
            Err(e) => panic!("{name}: {e}"),
        }
    }
    println!(
        "RFC 7396: {} applied; {diffs} diffs round-trip, {unrepresentable} not representable (null member)",
        triples.len()
    );
}

fn has_null_member(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.values().any(|x| x.is_null() || has_null_member(x)),
        Value::Array(a) => a.iter().any(has_null_member),
        _ => false,
    }
}

#[test]
fn rfc7396_cbor() {
    let Some(dir) = area("twin") else { return };
    let file = json(&dir.join("rfc7396_examples.cbor.json"));
    let all = file["cases"].as_array().unwrap();
    assert_eq!(all.len(), 17);
    let mut byte_exact = 0;
    for c in all {
        let get = |k: &str| unhex(c[k].as_str().unwrap_or_else(|| panic!("{k} in {c}")));
        let (doc_b, patch_b, exp_b) = (get("doc"), get("patch"), get("expected"));
        let mut doc = cbor::from_slice(&doc_b).unwrap();
        let p = cbor::from_slice(&patch_b).unwrap();
        merge::apply(&mut doc, &p).unwrap();
        // Deterministic encoding: the result encodes to exactly the expected bytes.
        assert_eq!(cbor::to_vec(&doc), exp_b, "{}", c);
        for b in [&doc_b, &patch_b, &exp_b] {
            assert_eq!(&cbor::to_vec(&cbor::from_slice(b).unwrap()), b, "re-encoding is byte exact");
        }
        byte_exact += 1;
    }
    println!("RFC 7396 CBOR: {byte_exact}/17 byte exact");
}

#[test]
fn rfc6901_pointers() {
    let Some(dir) = area("twin") else { return };
    let v = json(&dir.join("rfc6901_pointer.json"));
    let doc = &v["doc"];
    let mut n = 0;
    for c in v["cases"].as_array().unwrap() {
        let p = Pointer::parse(c["pointer"].as_str().unwrap()).unwrap();
        assert_eq!(p.get(doc).unwrap(), &c["expected"], "{c}");
        // Display round-trips the string form.
        assert_eq!(p.to_string(), c["pointer"].as_str().unwrap());
        n += 1;
    }
    for c in v["fragment_cases"].as_array().unwrap() {
        let p = Pointer::from_fragment(c["fragment"].as_str().unwrap()).unwrap();
        assert_eq!(p, Pointer::parse(c["pointer"].as_str().unwrap()).unwrap(), "{c}");
        n += 1;
    }
    for c in v["derived_errors"].as_array().unwrap() {
        let r = Pointer::parse(c["pointer"].as_str().unwrap()).and_then(|p| p.get(doc).map(drop));
        assert!(r.is_err(), "{c}");
        n += 1;
    }
    assert_eq!(n, 12 + 12 + 6);
}

/// AWS IoT Device Shadow: the 27 step sequences (update, version, clientToken, delta).
#[test]
fn aws_shadow_sequences() {
    use iot_twin::aws::Shadow;
    let Some(dir) = area("twin") else { return };
    let v = json(&dir.join("aws_shadow_cases.json"));
    let all = v["cases"].as_array().unwrap();
    assert_eq!(all.len(), 27);
    let mut steps = 0;
    for c in all {
        let name = c["comment"].as_str().unwrap();
        let mut shadow = Shadow::new();
        for s in c["steps"].as_array().unwrap() {
            let mut req = iot_twin::Map::new();
            req.insert("state".into(), s["update"].clone());
            for k in ["version", "clientToken"] {
                if let Some(x) = s.get(k) {
                    req.insert(k.into(), x.clone());
                }
            }
            let before = shadow.clone();
            let r = shadow.update(&Value::Object(req));
            steps += 1;
            if let Some(e) = s.get("expect_error") {
                let err = r.expect_err(name);
                assert_eq!(u64::from(err.http_status()), e["code"].as_u64().unwrap(), "{name}: {err}");
                assert_eq!(shadow, before, "{name}: rejected update changed the shadow");
                continue;
            }
            let accepted = r.unwrap_or_else(|e| panic!("{name}: {e}"));
            if let Some(n) = s.get("set_version") {
                shadow.set_version(n.as_u64().unwrap());
            }
            if let Some(st) = s.get("expect_state") {
                assert!(equal(&shadow.state(), st), "{name}: state {} expected {st}", shadow.state());
            }
            if let Some(n) = s.get("expect_version") {
                assert_eq!(accepted.version, n.as_u64().unwrap(), "{name}");
                assert_eq!(shadow.version(), n.as_u64().unwrap(), "{name}");
            }
        }
    }
    println!("AWS shadow: 27 sequences, {steps} steps right");
}

/// Azure IoT Hub twin: patch (3), reconnection (1), validation (13) and size (5) cases.
#[test]
fn azure_twin_cases() {
    use iot_twin::Limits;
    use iot_twin::azure::DesiredSync;
    let Some(dir) = area("twin") else { return };
    let v = json(&dir.join("azure_twin_cases.json"));
    let mut n = 0;
    for c in v["patch_cases"].as_array().unwrap() {
        let mut doc = c["doc"].clone();
        merge::apply(&mut doc, &c["patch"]).unwrap();
        assert!(equal(&doc, &c["expected"]), "{}", c["comment"]);
        n += 1;
    }
    for c in v["reconnection_cases"].as_array().unwrap() {
        let mut sync = DesiredSync::from_full_get(&c["full_get"]).unwrap();
        for note in c["notifications"].as_array().unwrap() {
            sync.on_notification(note).unwrap();
        }
        assert_eq!(sync.version(), c["expected"]["$version"].as_u64().unwrap());
        assert!(equal(sync.desired(), &c["expected"]["desired"]), "{}", c["comment"]);
        n += 1;
    }
    for c in v["validation_cases"].as_array().unwrap() {
        let doc = if let Some(k) = c.get("key").and_then(Value::as_str) {
            serde_json::json!({ k: 1 })
        } else if let Some(len) = c.get("key_len_bytes").and_then(Value::as_u64) {
            serde_json::json!({ "k".repeat(len as usize): 1 })
        } else if c.get("section").is_some() {
            c["value"].clone()
        } else {
            serde_json::json!({ "v": c["value"].clone() })
        };
        let limits =
            if c.get("section").and_then(Value::as_str) == Some("tags") { Limits::AZURE_TAGS } else { Limits::AZURE };
        assert_eq!(limits.check(&doc).is_ok(), c["valid"].as_bool().unwrap(), "{}: {doc}", c["comment"]);
        n += 1;
    }
    for c in v["size_rule"]["cases"].as_array().unwrap() {
        assert_eq!(iot_twin::azure_size(&c["value"]) as u64, c["size"].as_u64().unwrap(), "{}", c["value"]);
        n += 1;
    }
    assert_eq!(n, 3 + 1 + 13 + 5);
    println!("Azure twin: {n}/22 right");
}
