//! The service models beyond the vectors: AWS per-leaf metadata, the Azure twin document with
//! `$version`, `$metadata` and the etag.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "test code")]

use iot_twin::aws::Shadow;
use iot_twin::serde_json::json;

#[test]
fn aws_metadata_follows_the_state() {
    let mut s = Shadow::new();
    let a = s
        .update_at(&json!({"state": {"desired": {"fw": "2.0", "net": {"ssid": "a", "ch": 6}, "tags": [1, 2]}}, "clientToken": "t1"}), 100)
        .unwrap();
    assert_eq!(a.timestamp, 100);
    assert_eq!(
        a.metadata,
        json!({"desired": {"fw": {"timestamp": 100}, "net": {"ssid": {"timestamp": 100}, "ch": {"timestamp": 100}},
                           "tags": [{"timestamp": 100}, {"timestamp": 100}]}})
    );
    let msg = a.to_message();
    assert_eq!(msg["clientToken"], "t1");
    assert_eq!(msg["version"], 1);
    assert_eq!(msg["timestamp"], 100);

    // A later update touches one leaf and deletes another: only those change.
    let a = s.update_at(&json!({"state": {"desired": {"net": {"ch": 11}, "fw": null}}}), 200).unwrap();
    assert_eq!(a.metadata, json!({"desired": {"net": {"ch": {"timestamp": 200}}, "fw": {"timestamp": 200}}}));
    assert_eq!(
        s.metadata(),
        json!({"desired": {"net": {"ssid": {"timestamp": 100}, "ch": {"timestamp": 200}},
                           "tags": [{"timestamp": 100}, {"timestamp": 100}]}})
    );
    // An array is replaced whole: every element gets the new time.
    s.update_at(&json!({"state": {"desired": {"tags": [3]}}}), 300).unwrap();
    assert_eq!(s.metadata()["desired"]["tags"], json!([{"timestamp": 300}]));
    // A leaf replaced by an object, and an object by a leaf.
    s.update_at(&json!({"state": {"desired": {"net": "off", "fw": {"major": 3}}}}), 400).unwrap();
    assert_eq!(s.metadata()["desired"]["net"], json!({"timestamp": 400}));
    assert_eq!(s.metadata()["desired"]["fw"], json!({"major": {"timestamp": 400}}));

    // The delta carries the metadata of its leaves (from desired).
    s.update_at(&json!({"state": {"reported": {"net": "off", "fw": {"major": 2}, "tags": [3]}}}), 500).unwrap();
    assert_eq!(s.delta(), Some(json!({"fw": {"major": 3}})));
    assert_eq!(s.delta_metadata(), Some(json!({"fw": {"major": {"timestamp": 400}}})));
    let doc = s.document();
    assert_eq!(doc["version"], 5);
    assert_eq!(doc["timestamp"], 500);
    assert_eq!(doc["metadata"]["reported"]["tags"], json!([{"timestamp": 500}]));
    assert_eq!(doc["state"]["delta"], json!({"fw": {"major": 3}}));

    // Removing a section removes its metadata; a rejected update changes nothing.
    s.update_at(&json!({"state": {"reported": null}}), 600).unwrap();
    assert!(s.metadata().get("reported").is_none());
    let before = s.clone();
    assert!(s.update_at(&json!({"state": {"desired": {"x": 1}}, "version": 1}), 700).is_err());
    assert_eq!(s, before);
    // Without a time, updates keep the last one.
    s.update(&json!({"state": {"desired": {"y": 1}}})).unwrap();
    assert_eq!(s.metadata()["desired"]["y"], json!({"timestamp": 600}));
}

use iot_twin::Error;
use iot_twin::azure::{DesiredSync, Step, Twin};

const T1: &str = "2026-11-26T10:00:00.000Z";
const T2: &str = "2026-11-26T10:01:00.000Z";
const T3: &str = "2026-11-26T10:02:00.000Z";

#[test]
fn azure_twin_versions_metadata_and_etag() {
    let mut twin = Twin::new("dev-1");
    assert_eq!(twin.etag(), "AAAAAAAAAAE=");
    let e1 = twin.etag();
    assert_eq!(twin.update_desired(&json!({"fw": "2.0", "net": {"ssid": "a", "ch": 6}}), Some(&e1), T1).unwrap(), 2);
    assert_eq!(twin.etag(), "AAAAAAAAAAI=");
    // stale etag: 412, nothing changes; "*" and no If-Match pass
    let before = twin.clone();
    let r = twin.update_desired(&json!({"fw": "3.0"}), Some(&e1), T2);
    assert!(matches!(r, Err(Error::PreconditionFailed)), "{r:?}");
    assert_eq!(r.unwrap_err().http_status(), 412);
    assert_eq!(twin, before);
    let quoted = format!("\"{}\"", twin.etag());
    twin.update_desired(&json!({"net": {"ch": 11, "ssid": null}}), Some(&quoted), T2).unwrap();
    twin.update_tags(&json!({"site": "b12"}), Some("*")).unwrap();

    let doc = twin.document();
    let desired = &doc["properties"]["desired"];
    assert_eq!(desired["$version"], 3);
    assert_eq!(desired["net"], json!({"ch": 11}));
    let meta = &desired["$metadata"];
    assert_eq!(meta["$lastUpdated"], T2);
    assert_eq!(meta["fw"], json!({"$lastUpdated": T1, "$lastUpdatedVersion": 2}));
    // the object level records the deletion's time; the deleted member has no entry
    assert_eq!(meta["net"]["$lastUpdated"], T2);
    assert_eq!(meta["net"]["ch"], json!({"$lastUpdated": T2, "$lastUpdatedVersion": 3}));
    assert!(meta["net"].get("ssid").is_none());
    assert_eq!(doc["tags"], json!({"site": "b12"}));
    assert_eq!(doc["deviceId"], "dev-1");
    assert_eq!(doc["version"], 4);
    assert_eq!(doc["etag"], twin.etag());

    // the device reports: its own $version, no etag needed
    assert_eq!(twin.update_reported(&json!({"fw": "2.0"}), T3).unwrap(), 2);
    assert_eq!(twin.document()["properties"]["reported"]["$metadata"]["fw"]["$lastUpdated"], T3);

    // the device side follows with DesiredSync: full GET, then notifications
    let mut sync = DesiredSync::from_full_get(&twin.device_view()["desired"]).unwrap();
    assert_eq!(sync.version(), 3);
    let patch = json!({"fw": "2.1"});
    twin.update_desired(&patch, None, T3).unwrap();
    assert_eq!(sync.on_notification(&twin.desired_notification(&patch)).unwrap(), Step::Applied);
    assert_eq!(sync.desired(), &json!({"fw": "2.1", "net": {"ch": 11}}));

    // replace: members not in the new document are gone
    twin.replace_desired(&json!({"mode": "eco"}), None, T3).unwrap();
    assert_eq!(twin.desired(), json!({"mode": "eco"}).as_object().unwrap());
    assert!(twin.document()["properties"]["desired"]["$metadata"].get("fw").is_none());
}

#[test]
fn azure_twin_refusals_leave_it_unchanged() {
    let mut twin = Twin::new("dev-2");
    let before = twin.clone();
    let deep = json!({"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": {"k": {"l": 1}}}}}}}}}}}});
    for (patch, what) in [
        (json!({"bad key": 1}), "key with a space"),
        (json!({"$x": 1}), "key with $"),
        (json!({"n": 4_503_599_627_370_496_i64}), "integer beyond 2^52"),
        (deep, "too deep"),
        (json!([1]), "not an object"),
        (json!({"big": "x".repeat(33 * 1024)}), "over 32 KB"),
    ] {
        assert!(twin.update_desired(&patch, None, T1).is_err(), "{what}");
        assert!(twin.update_reported(&patch, T1).is_err(), "{what}");
    }
    assert!(twin.update_tags(&json!({"t": "x".repeat(9 * 1024)}), None).is_err(), "tags over 8 KB");
    assert_eq!(twin, before);
}
