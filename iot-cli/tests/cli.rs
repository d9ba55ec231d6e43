//! The `iot` command's contract: subcommands, flags, JSON fields and exit codes (0 ok, 1 rejected,
//! 2 usage or I/O error).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code"
)]

use std::path::Path;
use std::process::{Command, Output};

fn iot(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iot")).current_dir(dir).args(args).output().unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("stdout is not one JSON object: {e}: {:?}", out))
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap()
}

fn keygen(dir: &Path, alg: &str) {
    let out =
        iot(dir, &["cose", "keygen", "--alg", alg, "--out", "k.pem", "--public", "p.pem", "--cose-key", "p.cose"]);
    assert_eq!(code(&out), 0, "{out:?}");
}

#[test]
fn sign_verify_round_trip_both_algorithms_and_key_formats() {
    for alg in ["ES256", "EdDSA"] {
        let d = tempfile::tempdir().unwrap();
        keygen(d.path(), alg);
        std::fs::write(d.path().join("payload"), b"firmware manifest").unwrap();
        let out = iot(
            d.path(),
            &["cose", "sign", "--key", "k.pem", "--alg", alg, "--kid", "dev-1", "payload", "-o", "m.cbor"],
        );
        assert_eq!(code(&out), 0, "{out:?}");
        let msg = std::fs::read(d.path().join("m.cbor")).unwrap();
        assert_eq!(msg[0], 0xd2, "tagged COSE_Sign1 (tag 18)");
        for key in ["p.pem", "p.cose", "k.pem"] {
            let out = iot(d.path(), &["cose", "verify", "--key", key, "m.cbor", "--json"]);
            assert_eq!(code(&out), 0, "{out:?}");
            let j = json(&out);
            assert_eq!(j["valid"], true);
            assert_eq!(j["alg"], alg);
            assert_eq!(j["kid"], hex::encode("dev-1"));
            assert_eq!(j["payload_len"], 17);
        }
    }
}

#[test]
fn tampered_message_is_rejected_with_exit_1_and_reason() {
    let d = tempfile::tempdir().unwrap();
    keygen(d.path(), "ES256");
    std::fs::write(d.path().join("payload"), b"abc").unwrap();
    assert_eq!(
        code(&iot(d.path(), &["cose", "sign", "--key", "k.pem", "--alg", "ES256", "payload", "-o", "m.cbor"])),
        0
    );
    let mut msg = std::fs::read(d.path().join("m.cbor")).unwrap();
    let last = msg.len() - 1;
    msg[last] ^= 0x01;
    std::fs::write(d.path().join("m.cbor"), &msg).unwrap();
    let out = iot(d.path(), &["cose", "verify", "--key", "p.pem", "m.cbor", "--json"]);
    assert_eq!(code(&out), 1);
    let j = json(&out);
    assert_eq!(j["valid"], false);
    assert_eq!(j["alg"], "ES256");
    assert!(j["error"].as_str().unwrap().contains("signature"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rejected"));

    // Not COSE at all: rejected too, not a crash.
    std::fs::write(d.path().join("junk"), b"\xff\x00garbage").unwrap();
    let out = iot(d.path(), &["cose", "verify", "--key", "p.pem", "junk", "--json"]);
    assert_eq!(code(&out), 1);
    assert_eq!(json(&out)["valid"], false);
}

#[test]
fn wrong_key_is_rejected() {
    let d = tempfile::tempdir().unwrap();
    keygen(d.path(), "EdDSA");
    std::fs::write(d.path().join("payload"), b"abc").unwrap();
    assert_eq!(
        code(&iot(d.path(), &["cose", "sign", "--key", "k.pem", "--alg", "EdDSA", "payload", "-o", "m.cbor"])),
        0
    );
    let other = tempfile::tempdir().unwrap();
    keygen(other.path(), "EdDSA");
    let key = other.path().join("p.pem");
    let out = iot(d.path(), &["cose", "verify", "--key", key.to_str().unwrap(), "m.cbor", "--json"]);
    assert_eq!(code(&out), 1);
    // An ES256 key against an EdDSA message: alg bound to the key.
    keygen(other.path(), "ES256");
    let out = iot(d.path(), &["cose", "verify", "--key", key.to_str().unwrap(), "m.cbor", "--json"]);
    assert_eq!(code(&out), 1);
    assert!(json(&out)["error"].as_str().unwrap().contains("does not match"));
}

#[test]
fn detached_payload_and_aad() {
    let d = tempfile::tempdir().unwrap();
    keygen(d.path(), "ES256");
    std::fs::write(d.path().join("image"), vec![7u8; 4096]).unwrap();
    std::fs::write(d.path().join("aad"), b"device-class-b").unwrap();
    let out = iot(
        d.path(),
        &["cose", "sign", "--key", "k.pem", "--alg", "ES256", "--detached", "--aad", "aad", "image", "-o", "s.cbor"],
    );
    assert_eq!(code(&out), 0, "{out:?}");
    assert!(std::fs::metadata(d.path().join("s.cbor")).unwrap().len() < 200, "payload must not be inside");
    let ok =
        iot(d.path(), &["cose", "verify", "--key", "p.pem", "--payload", "image", "--aad", "aad", "s.cbor", "--json"]);
    assert_eq!(code(&ok), 0, "{ok:?}");
    assert_eq!(json(&ok)["payload_len"], 4096);
    // Without the AAD the signature does not verify.
    let no_aad = iot(d.path(), &["cose", "verify", "--key", "p.pem", "--payload", "image", "s.cbor", "--json"]);
    assert_eq!(code(&no_aad), 1);
    // Without the detached payload it is a usage error.
    let missing = iot(d.path(), &["cose", "verify", "--key", "p.pem", "s.cbor"]);
    assert_eq!(code(&missing), 2);
}

#[test]
fn usage_and_io_errors_exit_2() {
    let d = tempfile::tempdir().unwrap();
    assert_eq!(code(&iot(d.path(), &["cose", "verify", "--key", "missing.pem", "missing.cbor"])), 2);
    assert_eq!(code(&iot(d.path(), &["cose", "keygen", "--alg", "RS256", "--out", "k.pem"])), 2);
    keygen(d.path(), "ES256");
    std::fs::write(d.path().join("payload"), b"x").unwrap();
    // --alg that does not match the key
    assert_eq!(code(&iot(d.path(), &["cose", "sign", "--key", "k.pem", "--alg", "EdDSA", "payload", "-o", "m"])), 2);
    assert_eq!(code(&iot(d.path(), &["frobnicate"])), 2);
}

#[test]
fn demo_runs_every_step() {
    let out = Command::new(env!("CARGO_BIN_EXE_iot")).arg("demo").output().unwrap();
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("demo complete"), "{text}");
    assert_eq!(text.matches("rejected as expected").count(), 11, "{text}");
    assert!(text.contains("now belongs to owner@example"), "{text}");
    assert!(text.contains("validated under the devid profile"), "{text}");
    assert!(text.contains("EAR affirming"), "{text}");
    assert!(text.contains("replayed v1 manifest: rollback"), "{text}");
    assert!(text.contains("device reports fw 2.0.0 -> delta empty"), "{text}");
}

#[test]
fn twin_merge_diff_patch() {
    let d = tempfile::tempdir().unwrap();
    let w = |name: &str, body: &str| std::fs::write(d.path().join(name), body).unwrap();
    w("doc.json", r#"{"fw":{"version":"1.0"},"led":"off","tags":["a"]}"#);
    w("merge.json", r#"{"fw":{"version":"2.0"},"led":null}"#);
    let out = iot(d.path(), &["twin", "merge", "doc.json", "merge.json"]);
    assert_eq!(code(&out), 0, "{out:?}");
    assert_eq!(json(&out), serde_json::json!({"fw":{"version":"2.0"},"tags":["a"]}));
    w("new.json", &String::from_utf8(out.stdout.clone()).unwrap());

    let out = iot(d.path(), &["twin", "diff", "doc.json", "new.json"]);
    assert_eq!(code(&out), 0, "{out:?}");
    assert_eq!(json(&out), serde_json::json!({"fw":{"version":"2.0"},"led":null}));

    let out = iot(d.path(), &["twin", "diff", "--json-patch", "doc.json", "new.json"]);
    assert_eq!(code(&out), 0, "{out:?}");
    std::fs::write(d.path().join("ops.json"), &out.stdout).unwrap();
    let out = iot(d.path(), &["twin", "patch", "doc.json", "ops.json"]);
    assert_eq!(code(&out), 0, "{out:?}");
    assert_eq!(json(&out), serde_json::json!({"fw":{"version":"2.0"},"tags":["a"]}));

    // A failing test op: rejected, nothing on stdout.
    w("bad.json", r#"[{"op":"test","path":"/led","value":"on"}]"#);
    let out = iot(d.path(), &["twin", "patch", "doc.json", "bad.json"]);
    assert_eq!(code(&out), 1);
    assert!(out.stdout.is_empty());
    // A result that breaks the Azure key rules: rejected.
    w("dot.json", r#"{"a.b":1}"#);
    assert_eq!(code(&iot(d.path(), &["twin", "merge", "doc.json", "dot.json", "--profile", "azure"])), 1);
    // Not JSON: usage/input error.
    w("junk.json", "{nope");
    assert_eq!(code(&iot(d.path(), &["twin", "merge", "doc.json", "junk.json"])), 2);
    // A null that a merge patch cannot set: rejected.
    w("null.json", r#"{"x":null}"#);
    assert_eq!(code(&iot(d.path(), &["twin", "diff", "doc.json", "null.json"])), 1);
}

#[test]
fn twin_cbor_in_and_out() {
    let d = tempfile::tempdir().unwrap();
    // {"a": 1} and {"a": null, "b": true} as deterministic CBOR
    std::fs::write(d.path().join("doc.cbor"), [0xa1, 0x61, b'a', 0x01]).unwrap();
    std::fs::write(d.path().join("p.cbor"), [0xa2, 0x61, b'a', 0xf6, 0x61, b'b', 0xf5]).unwrap();
    let out = iot(d.path(), &["twin", "merge", "--cbor", "doc.cbor", "p.cbor"]);
    assert_eq!(code(&out), 0, "{out:?}");
    assert_eq!(out.stdout, [0xa1, 0x61, b'b', 0xf5]);
}

#[test]
fn twin_delta_aws_and_azure() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("shadow.json"),
        r#"{"state":{"desired":{"fw":"2.0","cfg":{"rate":5,"mode":"eco"}},"reported":{"fw":"1.0","cfg":{"rate":5}}},"version":7}"#,
    )
    .unwrap();
    let out = iot(d.path(), &["twin", "delta", "shadow.json"]);
    assert_eq!(code(&out), 0, "{out:?}");
    assert_eq!(json(&out), serde_json::json!({"fw":"2.0","cfg":{"mode":"eco"}}));
    std::fs::write(
        d.path().join("twin.json"),
        r#"{"properties":{"desired":{"fw":"2.0","$version":4},"reported":{"fw":"2.0","$version":9}}}"#,
    )
    .unwrap();
    let out = iot(d.path(), &["twin", "delta", "twin.json", "--profile", "azure"]);
    assert_eq!(code(&out), 0, "{out:?}");
    assert_eq!(json(&out), serde_json::json!({}));
    assert_eq!(code(&iot(d.path(), &["twin", "delta", "twin.json"])), 2, "no state member for aws");
}

mod manifest {
    use super::*;

    const VENDOR: &str = "fa6b4a53d5ad5fdfbe9de663e4d41ffe";
    const CLASS: &str = "1492af1425695e48bf429b2d51f2ab45";

    fn setup(seq: u64, d: &Path) {
        if !d.join("k.pem").exists() {
            keygen(d, "ES256");
        }
        std::fs::write(d.join("fw.bin"), vec![0x5a; 3000]).unwrap();
        let spec = serde_json::json!({
            "sequence_number": seq,
            "vendor_id": VENDOR,
            "class_id": CLASS,
            "components": [{"id": ["617070"], "image": "fw.bin", "uri": "https://cdn.example/fw.bin"}],
            "text": {"description": "test"},
        });
        std::fs::write(d.join(format!("spec{seq}.json")), spec.to_string()).unwrap();
        let out = iot(
            d,
            &[
                "manifest",
                "create",
                "--spec",
                &format!("spec{seq}.json"),
                "--key",
                "k.pem",
                "-o",
                &format!("m{seq}.suit"),
            ],
        );
        assert_eq!(code(&out), 0, "{out:?}");
    }

    /// `iot manifest process --key KEY FILE` on slots `slots` and counter `counter` of a device
    /// of `vendor` and [`CLASS`], with `extra` arguments.
    fn process_as(d: &Path, key: &str, file: &str, vendor: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "manifest",
            "process",
            "--key",
            key,
            file,
            "--slots",
            "slots",
            "--counter",
            "counter",
            "--vendor-id",
            vendor,
            "--class-id",
            CLASS,
        ];
        args.extend_from_slice(extra);
        iot(d, &args)
    }

    fn process(d: &Path, file: &str, vendor: &str) -> Output {
        process_as(d, "p.pem", file, vendor, &["--fetch-dir", ".", "--json"])
    }

    /// `process --report` writes a signed SUIT report; `report verify` checks it with the device's
    /// key, `report show` reads it unverified; a refused update is reported with its reason.
    #[test]
    fn process_reports() {
        let d = tempfile::tempdir().unwrap();
        let d = d.path();
        setup(1, d);
        let dev = tempfile::tempdir().unwrap();
        keygen(dev.path(), "ES256");
        let dev_key = dev.path().join("k.pem");
        let dev_pub = dev.path().join("p.pem");
        let with_report = |vendor: &str, out_file: &str| {
            let mut args = vec![
                "--fetch-dir",
                ".",
                "--json",
                "--report",
                out_file,
                "--report-key",
                dev_key.to_str().unwrap(),
                "--report-nonce",
                "0102",
            ];
            args.push("--report-uri");
            args.push("https://updates.example/m1.suit");
            process_as(d, "p.pem", "m1.suit", vendor, &args)
        };
        assert_eq!(code(&with_report(VENDOR, "ok.report")), 0);
        let out = iot(d, &["manifest", "report", "verify", "--key", dev_pub.to_str().unwrap(), "ok.report", "--json"]);
        assert_eq!(code(&out), 0, "{out:?}");
        let j = json(&out);
        assert_eq!(j["valid"], true);
        assert_eq!(j["ok"], true);
        assert_eq!(j["uri"], "https://updates.example/m1.suit");
        assert_eq!(j["nonce"], "0102");
        assert!(!j["records"].as_array().unwrap().is_empty());
        let m = iot(d, &["manifest", "verify", "--key", "p.pem", "m1.suit", "--json"]);
        assert_eq!(j["manifest_digest"], json(&m)["manifest_digest"]);
        // the manifest's signer is not the device: refused
        let out = iot(d, &["manifest", "report", "verify", "--key", "p.pem", "ok.report", "--json"]);
        assert_eq!(code(&out), 1);
        assert_eq!(json(&out)["valid"], false);

        // a device of another vendor (a fresh one: no counter yet) refuses the manifest and
        // reports why: the vendor-id condition in the shared sequence (suit-common)
        std::fs::remove_file(d.join("counter")).unwrap();
        let other = "00112233445566778899aabbccddeeff";
        assert_eq!(code(&with_report(other, "fail.report")), 1);
        let out = iot(d, &["manifest", "report", "show", "fail.report", "--json"]);
        assert_eq!(code(&out), 0);
        let j = json(&out);
        assert_eq!(j["ok"], false);
        assert_eq!(j["reason"], 10);
        assert_eq!(j["failed_at"]["section"], 3);
        std::fs::write(d.join("junk.report"), b"junk").unwrap();
        assert_eq!(code(&iot(d, &["manifest", "report", "show", "junk.report"])), 2);
    }

    #[test]
    fn create_verify_show_sever() {
        let d = tempfile::tempdir().unwrap();
        setup(4, d.path());
        let out = iot(d.path(), &["manifest", "verify", "--key", "p.pem", "m4.suit", "--json"]);
        assert_eq!(code(&out), 0, "{out:?}");
        let j = json(&out);
        assert_eq!(j["valid"], true);
        assert_eq!(j["sequence_number"], 4);
        assert_eq!(j["components"][0]["id"][0], "617070");
        assert_eq!(j["components"][0]["image_size"], 3000);
        assert_eq!(j["components"][0]["image_digest"], hex::encode(iot_sha256(&[0x5a; 3000])));
        assert_eq!(j["components"][0]["uri"], "https://cdn.example/fw.bin");
        assert_eq!(j["manifest_digest"].as_str().unwrap().len(), 64);

        let out = iot(d.path(), &["manifest", "show", "m4.suit", "--json"]);
        assert_eq!(code(&out), 0);
        let j = json(&out);
        assert_eq!(j["verified"], false);
        assert_eq!(j["manifest"]["manifest-sequence-number"], 4);
        let out = iot(d.path(), &["manifest", "show", "m4.suit", "--diag"]);
        assert!(String::from_utf8_lossy(&out.stdout).contains("UNVERIFIED"));
        assert!(String::from_utf8_lossy(&out.stdout).contains("107("));
        let out = iot(d.path(), &["manifest", "show", "m4.suit"]);
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("UNVERIFIED"));

        // Another key: exit 1 with a reason.
        let other = tempfile::tempdir().unwrap();
        keygen(other.path(), "ES256");
        let out = iot(
            d.path(),
            &["manifest", "verify", "--key", other.path().join("p.pem").to_str().unwrap(), "m4.suit", "--json"],
        );
        assert_eq!(code(&out), 1);
        let j = json(&out);
        assert_eq!(j["valid"], false);
        assert!(j["reason"].as_str().unwrap().contains("signature"));
        // A flipped byte in the manifest.
        let mut bytes = std::fs::read(d.path().join("m4.suit")).unwrap();
        let n = bytes.len();
        bytes[n - 20] ^= 1;
        std::fs::write(d.path().join("bad.suit"), &bytes).unwrap();
        let out = iot(d.path(), &["manifest", "verify", "--key", "p.pem", "bad.suit", "--json"]);
        assert_eq!(code(&out), 1);
        // Missing file: exit 2.
        assert_eq!(code(&iot(d.path(), &["manifest", "verify", "--key", "p.pem", "nope.suit"])), 2);

        let out = iot(d.path(), &["manifest", "sever", "m4.suit", "-o", "s.suit", "--member", "text"]);
        assert_eq!(code(&out), 0);
        let out = iot(d.path(), &["manifest", "verify", "--key", "p.pem", "s.suit", "--json"]);
        assert_eq!(code(&out), 0, "severing never breaks the signature");
    }

    fn iot_sha256(data: &[u8]) -> Vec<u8> {
        use iot_manifest::build::sha256_suit_digest;
        // The SUIT_Digest encoding ends with the 32 digest bytes.
        let d = sha256_suit_digest(data);
        d[d.len() - 32..].to_vec()
    }

    #[test]
    fn process_installs_and_refuses_rollback_and_wrong_devices() {
        let d = tempfile::tempdir().unwrap();
        setup(1, d.path());
        setup(2, d.path());
        let out = process(d.path(), "m1.suit", VENDOR);
        assert_eq!(code(&out), 0, "{out:?}");
        let j = json(&out);
        assert_eq!(j["ok"], true);
        assert_eq!(j["counter"], 1);
        assert_eq!(std::fs::read(d.path().join("slots/app")).unwrap(), vec![0x5a; 3000]);
        assert_eq!(code(&process(d.path(), "m2.suit", VENDOR)), 0);
        assert_eq!(std::fs::read_to_string(d.path().join("counter")).unwrap().trim(), "2");
        // Replay of the older manifest: exit 1, flagged as rollback, counter unchanged.
        let out = process(d.path(), "m1.suit", VENDOR);
        assert_eq!(code(&out), 1);
        let j = json(&out);
        assert_eq!(
            (j["ok"].clone(), j["rollback"].clone(), j["counter"].clone()),
            (false.into(), true.into(), 2.into())
        );
        // A device of another vendor.
        let e = tempfile::tempdir().unwrap();
        setup(1, e.path());
        let out = process(e.path(), "m1.suit", "00000000000000000000000000000000");
        assert_eq!(code(&out), 1);
        assert!(json(&out)["reason"].as_str().unwrap().contains("condition 1"));
        assert!(!e.path().join("counter").exists());
    }

    /// A spec with update-management gates: each gate the device cannot pass refuses the update
    /// before anything is fetched; with every answer given, it installs.
    #[test]
    fn update_gates_from_the_spec() {
        let d = tempfile::tempdir().unwrap();
        let d = d.path();
        keygen(d, "ES256");
        std::fs::write(d.join("fw.bin"), vec![0x5a; 300]).unwrap();
        let spec = serde_json::json!({
            "sequence_number": 1,
            "vendor_id": VENDOR,
            "class_id": CLASS,
            "components": [{"id": ["617070"], "image": "fw.bin", "uri": "https://cdn.example/fw.bin", "version": ["<", "2.0.0"]}],
            "update": {"use_before": 4_000_000_000u64, "minimum_battery": 100, "priority": 1, "wait": {"power": 1}},
        });
        std::fs::write(d.join("spec.json"), spec.to_string()).unwrap();
        let out = iot(d, &["manifest", "create", "--spec", "spec.json", "--key", "k.pem", "-o", "m.suit"]);
        assert_eq!(code(&out), 0, "{out:?}");
        let out = iot(d, &["manifest", "show", "m.suit", "--json"]);
        assert!(out.stdout.windows(11).any(|w| w == b"use-before\""), "{}", String::from_utf8_lossy(&out.stdout));
        let run = |extra: &[&str]| {
            let mut args = vec!["--fetch-dir", ".", "--procedure", "update", "--json"];
            args.extend_from_slice(extra);
            process_as(d, "p.pem", "m.suit", VENDOR, &args)
        };
        let all = ["--events-ready", "--battery", "150", "--authorized", "true", "--component-version", "app=1.9.3"];
        for (drop, want) in [
            ("--events-ready", "waiting for an event"),
            ("--battery", "operation unsupported"),
            ("--authorized", "operation unsupported"),
            ("--component-version", "operation unsupported"),
        ] {
            let mut args: Vec<&str> = Vec::new();
            let mut skip = false;
            for (i, a) in all.iter().enumerate() {
                if skip {
                    skip = false;
                    continue;
                }
                if *a == drop {
                    skip = all.get(i + 1).is_some_and(|n| !n.starts_with("--"));
                    continue;
                }
                args.push(a);
            }
            let out = run(&args);
            assert_eq!(code(&out), 1, "without {drop}: {out:?}");
            assert!(json(&out)["reason"].as_str().unwrap().contains(want), "without {drop}: {out:?}");
            assert!(!d.join("slots/app").exists(), "nothing fetched without {drop}");
        }
        for (battery, authorized, version, time, condition) in [
            ("99", "true", "app=1.9.3", "1", "condition 26"),
            ("150", "false", "app=1.9.3", "1", "condition 27"),
            ("150", "true", "app=2.0.0", "1", "condition 28"),
            ("150", "true", "app=1.9.3", "4000000000", "condition 4"),
        ] {
            let out = run(&[
                "--events-ready",
                "--battery",
                battery,
                "--authorized",
                authorized,
                "--component-version",
                version,
                "--time",
                time,
            ]);
            assert_eq!(code(&out), 1, "{condition}: {out:?}");
            assert!(json(&out)["reason"].as_str().unwrap().contains(condition), "{condition}: {out:?}");
            assert!(!d.join("slots/app").exists());
        }
        let out = run(&all);
        assert_eq!(code(&out), 0, "{out:?}");
        assert_eq!(std::fs::read(d.join("slots/app")).unwrap(), vec![0x5a; 300]);
        // Bad specs are refused with a message.
        for bad in [
            serde_json::json!({"update": {"wait": {"sunset": 1}}}),
            serde_json::json!({"update": {"use_before": -1}}),
            serde_json::json!({"update": {"frobnicate": 1}}),
        ] {
            let mut s = spec.clone();
            s["update"] = bad["update"].clone();
            std::fs::write(d.join("bad.json"), s.to_string()).unwrap();
            let out = iot(d, &["manifest", "create", "--spec", "bad.json", "--key", "k.pem", "-o", "bad.suit"]);
            assert_eq!(code(&out), 2, "{bad}: {out:?}");
        }
    }

    /// libcsuit's U3 (component metadata) on a device in its factory state (no counter file, so
    /// sequence number 0 installs): a directory, a fetched file and a link.
    #[test]
    fn update_management_u3_makes_directory_file_and_link() {
        let Some(v) = iot_test_vectors::area("suit") else { return };
        let d = tempfile::tempdir().unwrap();
        let d = d.path();
        std::fs::copy(v.join("payloads/raw_image.bin"), d.join("example3.bin")).unwrap();
        let key = v.join("keys/suit-examples-p256-public.pem");
        let u3 = v.join("update-management/exampleU3.suit");
        let out = process_as(
            d,
            key.to_str().unwrap(),
            u3.to_str().unwrap(),
            VENDOR,
            &["--fetch-dir", ".", "--procedure", "update", "--json"],
        );
        assert_eq!(code(&out), 0, "{out:?}");
        assert!(d.join("slots/usr.local.bin").is_dir());
        assert_eq!(
            std::fs::read(d.join("slots/usr.local.bin.example3")).unwrap(),
            std::fs::read(d.join("example3.bin")).unwrap()
        );
        assert_eq!(std::fs::read_to_string(d.join("slots/usr.bin.example")).unwrap(), "/usr/local/bin/example3");
        assert_eq!(std::fs::read_to_string(d.join("counter")).unwrap().trim(), "0");
    }

    /// An encrypted image: `create` encrypts it for a KEK or for a device's P-256 key and writes
    /// the ciphertext beside it; `process` fetches and decrypts it with the device's key and
    /// refuses without it.
    #[test]
    fn encrypted_images_from_the_spec() {
        let d = tempfile::tempdir().unwrap();
        let d = d.path();
        keygen(d, "ES256");
        let dev = tempfile::tempdir().unwrap();
        keygen(dev.path(), "ES256");
        std::fs::copy(dev.path().join("p.pem"), d.join("device.pem")).unwrap();
        std::fs::copy(dev.path().join("k.pem"), d.join("device-key.pem")).unwrap();
        std::fs::write(d.join("kek.bin"), [0x42u8; 16]).unwrap();
        std::fs::write(d.join("wrong.bin"), [0x43u8; 16]).unwrap();
        let image: Vec<u8> = (0..5000u32).map(|i| u8::try_from(i * 7 % 251).unwrap()).collect();
        std::fs::write(d.join("fw.bin"), &image).unwrap();
        for (n, encrypt, flag, key, wrong) in [
            (1, serde_json::json!({"kek": "kek.bin", "kid": "kek-1"}), "--kek", "kek.bin", "wrong.bin"),
            (
                2,
                serde_json::json!({"recipient": "device.pem", "algorithm": "A256CTR"}),
                "--decrypt-key",
                "device-key.pem",
                "k.pem",
            ),
        ] {
            let spec = serde_json::json!({
                "sequence_number": n,
                "vendor_id": VENDOR,
                "class_id": CLASS,
                "components": [{"id": ["617070"], "image": "fw.bin", "uri": "https://cdn.example/fw.bin.enc", "encrypt": encrypt}],
            });
            std::fs::write(d.join("spec.json"), spec.to_string()).unwrap();
            let out = iot(d, &["manifest", "create", "--spec", "spec.json", "--key", "k.pem", "-o", "m.suit"]);
            assert_eq!(code(&out), 0, "{out:?}");
            let ct = std::fs::read(d.join("fw.bin.enc")).unwrap();
            assert_ne!(&ct[..image.len()], &image[..], "the served file is ciphertext");
            let run = |extra: &[&str]| {
                let mut args = vec!["--fetch-dir", ".", "--procedure", "update", "--json"];
                args.extend_from_slice(extra);
                process_as(d, "p.pem", "m.suit", VENDOR, &args)
            };
            for bad in [vec![], vec![flag, wrong]] {
                let out = run(&bad);
                assert_eq!(code(&out), 1, "{bad:?}: {out:?}");
            }
            let out = run(&[flag, key]);
            assert_eq!(code(&out), 0, "{out:?}");
            assert_eq!(std::fs::read(d.join("slots/app")).unwrap(), image);
        }
    }

    /// The trust-domains examples through the CLI: the dependency is fetched (or taken from the
    /// envelope), checked and run, then the dependent's own install.
    #[test]
    fn trust_domain_dependencies_install() {
        let Some(v) = iot_test_vectors::area("suit") else { return };
        let key = v.join("keys/suit-examples-p256-public.pem");
        for f in ["example1_process.suit", "example2_integrated.suit"] {
            let d = tempfile::tempdir().unwrap();
            std::fs::copy(v.join("trust-domains/example0_dependent.suit"), d.path().join("dependent.suit")).unwrap();
            let m = v.join("trust-domains").join(f);
            let out = process_as(
                d.path(),
                key.to_str().unwrap(),
                m.to_str().unwrap(),
                VENDOR,
                &["--fetch-dir", ".", "--procedure", "update", "--json"],
            );
            assert_eq!(code(&out), 0, "{f}: {out:?}");
            assert_eq!(std::fs::read(d.path().join("slots/00")).unwrap(), b"hello world", "{f}");
            assert_eq!(std::fs::read(d.path().join("slots/10")).unwrap(), b" in multiple trust domains", "{f}");
            // Another dependency authority: the dependency does not verify.
            let other = v.join("keys/esdh-receiver-p256-public.pem");
            let e = tempfile::tempdir().unwrap();
            std::fs::copy(v.join("trust-domains/example0_dependent.suit"), e.path().join("dependent.suit")).unwrap();
            let out = process_as(
                e.path(),
                key.to_str().unwrap(),
                m.to_str().unwrap(),
                VENDOR,
                &["--fetch-dir", ".", "--procedure", "update", "--dependency-key", other.to_str().unwrap(), "--json"],
            );
            assert_eq!(code(&out), 1, "{f}: {out:?}");
            assert!(json(&out)["reason"].as_str().unwrap().contains("condition 7"), "{f}: {out:?}");
            assert!(!e.path().join("slots/00").exists());
        }
    }

    /// A spec with dependencies: a library manifest made first, then an application manifest
    /// that depends on it (fetched or integrated); processing installs both.
    #[test]
    fn dependencies_from_the_spec() {
        let d = tempfile::tempdir().unwrap();
        let d = d.path();
        keygen(d, "ES256");
        std::fs::write(d.join("lib.bin"), vec![0x11; 700]).unwrap();
        std::fs::write(d.join("app.bin"), vec![0x22; 900]).unwrap();
        let lib = serde_json::json!({
            "sequence_number": 1, "vendor_id": VENDOR, "class_id": CLASS,
            "components": [{"id": ["6c6962"], "image": "lib.bin", "uri": "https://cdn.example/lib.bin"}],
            "component_id": ["6c69622e73756974"],
            "sequences": ["install", "validate"],
        });
        std::fs::write(d.join("lib.json"), lib.to_string()).unwrap();
        let out = iot(d, &["manifest", "create", "--spec", "lib.json", "--key", "k.pem", "-o", "lib.suit"]);
        assert_eq!(code(&out), 0, "{out:?}");
        for (n, dep) in [
            (1, serde_json::json!({"envelope": "lib.suit", "uri": "https://cdn.example/lib.suit"})),
            (2, serde_json::json!({"envelope": "lib.suit", "integrated": true, "prefix": ["6c6962"]})),
        ] {
            let app = serde_json::json!({
                "sequence_number": n, "vendor_id": VENDOR, "class_id": CLASS,
                "components": [{"id": ["617070"], "image": "app.bin", "uri": "https://cdn.example/app.bin"}],
                "dependencies": [dep],
            });
            std::fs::write(d.join("app.json"), app.to_string()).unwrap();
            let out = iot(d, &["manifest", "create", "--spec", "app.json", "--key", "k.pem", "-o", "app.suit"]);
            assert_eq!(code(&out), 0, "{out:?}");
            let out = process(d, "app.suit", VENDOR);
            assert_eq!(code(&out), 0, "{n}: {out:?}");
            assert_eq!(std::fs::read(d.join("slots/lib")).unwrap(), vec![0x11; 700]);
            assert_eq!(std::fs::read(d.join("slots/app")).unwrap(), vec![0x22; 900]);
            std::fs::remove_file(d.join("slots/lib")).unwrap();
        }
    }

    /// `"uninstall": true` gives the manifest an uninstall sequence; `--procedure uninstall` runs it.
    #[test]
    fn uninstall_unlinks() {
        let d = tempfile::tempdir().unwrap();
        let d = d.path();
        keygen(d, "ES256");
        std::fs::write(d.join("fw.bin"), vec![0x33; 100]).unwrap();
        let spec = serde_json::json!({
            "sequence_number": 1, "vendor_id": VENDOR, "class_id": CLASS,
            "components": [{"id": ["617070"], "image": "fw.bin", "uri": "https://cdn.example/fw.bin"}],
            "uninstall": true,
        });
        std::fs::write(d.join("spec.json"), spec.to_string()).unwrap();
        assert_eq!(code(&iot(d, &["manifest", "create", "--spec", "spec.json", "--key", "k.pem", "-o", "m.suit"])), 0);
        let run = |procedure: &str| {
            process_as(d, "p.pem", "m.suit", VENDOR, &["--fetch-dir", ".", "--procedure", procedure, "--json"])
        };
        assert_eq!(code(&run("update")), 0);
        assert!(d.join("slots/app").exists());
        let out = run("uninstall");
        assert_eq!(code(&out), 0, "{out:?}");
        assert!(!d.join("slots/app").exists());
    }

    /// The draft's ECDH-ES example through the CLI: the device's key decrypts the content.
    #[test]
    fn firmware_encryption_vector_decrypts() {
        let Some(v) = iot_test_vectors::area("suit") else { return };
        let d = tempfile::tempdir().unwrap();
        let key = v.join("keys/suit-examples-p256-public.pem");
        let dk = v.join("keys/esdh-receiver-p256-private.pem");
        let m = v.join("firmware-encryption/suit-manifest-es-ecdh-content.suit");
        let out = process_as(
            d.path(),
            key.to_str().unwrap(),
            m.to_str().unwrap(),
            VENDOR,
            &["--procedure", "update", "--decrypt-key", dk.to_str().unwrap(), "--json"],
        );
        assert_eq!(code(&out), 0, "{out:?}");
        let plain = std::fs::read(v.join("payloads/raw_image.bin")).unwrap();
        assert_eq!(std::fs::read(d.path().join("slots/decrypted-firmware")).unwrap(), plain);
    }

    #[test]
    fn spec_vectors_verify_and_unsigned_are_refused() {
        let Some(v) = iot_test_vectors::area("suit") else { return };
        let d = tempfile::tempdir().unwrap();
        let key = v.join("keys/suit-examples-p256-public.pem");
        for (f, ok, seq) in [("manifest/example3.suit", 0, 3), ("manifest/example3.unsigned.suit", 1, 3)] {
            let out = iot(
                d.path(),
                &["manifest", "verify", "--key", key.to_str().unwrap(), v.join(f).to_str().unwrap(), "--json"],
            );
            assert_eq!(code(&out), ok, "{f}: {out:?}");
            let j = json(&out);
            assert_eq!(j["sequence_number"], seq);
            assert_eq!(j["manifest_digest"].as_str().unwrap()[..8], *"f6d44a62");
        }
    }
}

mod delta {
    use super::{code, iot, json};

    fn images(d: &std::path::Path) -> (Vec<u8>, Vec<u8>) {
        let mut x = 0x9e37_79b9u32;
        let old: Vec<u8> = (0..20_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x.to_le_bytes()[0]
            })
            .collect();
        let mut new = old.clone();
        new.splice(5000..5000, b"new code here".iter().copied());
        new[12_000] ^= 0x40;
        std::fs::write(d.join("old.bin"), &old).unwrap();
        std::fs::write(d.join("new.bin"), &new).unwrap();
        (old, new)
    }

    #[test]
    fn diff_info_apply_round_trip() {
        let d = tempfile::tempdir().unwrap();
        let (old, new) = images(d.path());
        for profile in ["tiny", "standard"] {
            for filter in ["auto", "none", "thumb2", "aarch64", "x86"] {
                let out = iot(
                    d.path(),
                    &["delta", "diff", "old.bin", "new.bin", "-o", "p.delta", "--profile", profile, "--filter", filter],
                );
                assert_eq!(code(&out), 0, "{out:?}");
                let out = iot(d.path(), &["delta", "info", "p.delta", "--json"]);
                assert_eq!(code(&out), 0, "{out:?}");
                let v = json(&out);
                assert_eq!(v["format_version"], 1);
                assert_eq!(v["profile"], profile);
                if filter != "auto" {
                    assert_eq!(v["filter"], filter);
                }
                assert_eq!(v["source_size"], old.len());
                assert_eq!(v["target_size"], new.len());
                assert_eq!(v["source_sha256"].as_str().unwrap().len(), 64);
                assert_eq!(v["target_sha256"].as_str().unwrap().len(), 64);
                let size = std::fs::metadata(d.path().join("p.delta")).unwrap().len();
                assert_eq!(v["patch_size"], size);
                assert!(size < 1000, "{size}");
                let ram = v["ram_bytes"].as_u64().unwrap();
                assert!(if profile == "tiny" { ram <= 8192 } else { ram <= 72 * 1024 }, "{ram}");
                let out = iot(d.path(), &["delta", "apply", "old.bin", "p.delta", "-o", "rebuilt.bin"]);
                assert_eq!(code(&out), 0, "{out:?}");
                assert_eq!(std::fs::read(d.path().join("rebuilt.bin")).unwrap(), new);
                std::fs::remove_file(d.path().join("rebuilt.bin")).unwrap();
            }
        }
    }

    #[test]
    fn apply_failures_exit_1_and_leave_no_output() {
        let d = tempfile::tempdir().unwrap();
        let (mut old, _) = images(d.path());
        let out = iot(d.path(), &["delta", "diff", "old.bin", "new.bin", "-o", "p.delta"]);
        assert_eq!(code(&out), 0, "{out:?}");
        let patch = std::fs::read(d.path().join("p.delta")).unwrap();

        old[7] ^= 1;
        std::fs::write(d.path().join("other.bin"), &old).unwrap();
        let out = iot(d.path(), &["delta", "apply", "other.bin", "p.delta", "-o", "rebuilt.bin", "--json"]);
        assert_eq!(code(&out), 1, "{out:?}");
        assert_eq!(json(&out)["ok"], false);
        assert!(String::from_utf8_lossy(&out.stderr).contains("wrong base image"));
        assert!(!d.path().join("rebuilt.bin").exists());

        std::fs::write(d.path().join("short.delta"), &patch[..patch.len() - 3]).unwrap();
        let out = iot(d.path(), &["delta", "apply", "old.bin", "short.delta", "-o", "rebuilt.bin"]);
        assert_eq!(code(&out), 1, "{out:?}");
        assert!(!d.path().join("rebuilt.bin").exists());

        let mut bad = patch.clone();
        let last = bad.len() - 10;
        bad[last] ^= 0xFF;
        std::fs::write(d.path().join("bad.delta"), &bad).unwrap();
        let out = iot(d.path(), &["delta", "apply", "old.bin", "bad.delta", "-o", "rebuilt.bin"]);
        assert_eq!(code(&out), 1, "{out:?}");
        assert!(!d.path().join("rebuilt.bin").exists());

        std::fs::write(d.path().join("junk.delta"), b"not a patch at all").unwrap();
        let out = iot(d.path(), &["delta", "info", "junk.delta", "--json"]);
        assert_eq!(code(&out), 1, "{out:?}");
        let out = iot(d.path(), &["delta", "apply", "old.bin", "missing.delta", "-o", "x.bin"]);
        assert_eq!(code(&out), 2, "{out:?}");
        let out = iot(d.path(), &["delta", "diff", "old.bin", "new.bin", "-o", "p.delta", "--profile", "huge"]);
        assert_eq!(code(&out), 2, "{out:?}");
    }
}

mod attest {
    use super::{code, iot, json, keygen};
    use std::path::Path;

    fn setup(d: &Path) {
        keygen(d, "ES256");
        std::fs::write(d.join("bl2.bin"), b"second stage bootloader").unwrap();
        std::fs::write(d.join("app.bin"), b"application v2").unwrap();
        std::fs::write(
            d.join("claims.json"),
            r#"{"ueid": "0102030405060708090a0b0c0d0e0f1011", "instance_id": "01aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "implementation_id": "1111111111111111111111111111111111111111111111111111111111111111",
                "swname": "acme-fw", "swversion": ["2.0.0", 16384], "dbgstat": "disabled-permanently", "oemboot": true,
                "lifecycle": "secured", "client_id": 1,
                "measurements": [{"name": "BL2", "version": "1.2.0", "image": "bl2.bin",
                                  "signer_id": "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1"},
                                 {"name": "app", "version": "2.0.0", "image": "app.bin"}]}"#,
        )
        .unwrap();
    }

    /// `iot attest evidence` from the fixture claims into t.cbor.
    fn evidence(d: &Path, key: &str, profile: &str) -> std::process::Output {
        iot(
            d,
            &[
                "attest",
                "evidence",
                "--key",
                key,
                "--claims",
                "claims.json",
                "--nonce",
                NONCE,
                "--profile",
                profile,
                "-o",
                "t.cbor",
            ],
        )
    }

    const NONCE: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn reference(d: &Path, app: &[u8]) {
        let digest = iot_attest::Measurement::of("", "", [0; 32], app).value;
        std::fs::write(
            d.join("ref.json"),
            format!(
                r#"{{"name": "device", "policy_id": "acme/fleet-1",
                    "implementation_ids": ["1111111111111111111111111111111111111111111111111111111111111111"],
                    "components": [{{"name": "BL2", "signer_ids": ["b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1"]}},
                                   {{"name": "app", "measurements": ["{}"], "min_version": "2.0.0", "required": true}}]}}"#,
                hex::encode(digest)
            ),
        )
        .unwrap();
    }

    #[test]
    fn evidence_verify_eat_and_psa() {
        let d = tempfile::tempdir().unwrap();
        let d = d.path();
        setup(d);
        for profile in ["eat", "psa"] {
            let out = evidence(d, "k.pem", profile);
            assert_eq!(code(&out), 0, "{out:?}");
            let out = iot(d, &["attest", "verify", "--key", "p.pem", "--nonce", NONCE, "t.cbor", "--json"]);
            assert_eq!(code(&out), 0, "{out:?}");
            let j = json(&out);
            assert_eq!(j["valid"], true);
            assert_eq!(j["profile"], if profile == "psa" { "psa" } else { "eat" });
            assert_eq!(j["claims"]["eat_nonce"], NONCE);
            let comps =
                if profile == "psa" { &j["claims"]["psa-software-components"] } else { &j["claims"]["measurements"] };
            assert_eq!(comps[1]["name"], "app", "{j}");
            assert_eq!(
                comps[1]["measurement"],
                hex::encode(iot_attest::Measurement::of("", "", [0; 32], b"application v2").value)
            );
            if profile == "eat" {
                assert_eq!(j["claims"]["swname"], "acme-fw");
                assert_eq!(j["claims"]["dbgstat"], "disabled-permanently");
            } else {
                assert_eq!(j["claims"]["psa-security-lifecycle"], 0x3000);
            }
            // Wrong nonce: exit 1 with the reason.
            let out = iot(
                d,
                &[
                    "attest",
                    "verify",
                    "--key",
                    "p.pem",
                    "--nonce",
                    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
                    "t.cbor",
                    "--json",
                ],
            );
            assert_eq!(code(&out), 1);
            assert_eq!(json(&out)["valid"], false);
            assert!(json(&out)["reason"].as_str().unwrap().contains("nonce"));
        }
        // Tampered token, other key, missing file, bad nonce hex.
        let mut t = std::fs::read(d.join("t.cbor")).unwrap();
        let n = t.len();
        t[n - 1] ^= 1;
        std::fs::write(d.join("bad.cbor"), &t).unwrap();
        assert_eq!(code(&iot(d, &["attest", "verify", "--key", "p.pem", "bad.cbor"])), 1);
        assert_eq!(code(&iot(d, &["attest", "verify", "--key", "p.pem", "missing.cbor"])), 2);
        assert_eq!(
            code(&iot(
                d,
                &["attest", "evidence", "--key", "k.pem", "--claims", "claims.json", "--nonce", "zz", "-o", "x"]
            )),
            2
        );
        // PSA requires ECDSA.
        let out = iot(d, &["cose", "keygen", "--alg", "EdDSA", "--out", "ed.pem"]);
        assert_eq!(code(&out), 0);
        let out = evidence(d, "ed.pem", "psa");
        assert_eq!(code(&out), 2, "{out:?}");
    }

    #[test]
    fn appraise_and_result() {
        let d = tempfile::tempdir().unwrap();
        let d = d.path();
        setup(d);
        reference(d, b"application v2");
        let out = evidence(d, "k.pem", "psa");
        assert_eq!(code(&out), 0, "{out:?}");
        let out = iot(d, &["cose", "keygen", "--alg", "EdDSA", "--out", "v.pem", "--public", "vp.pem"]);
        assert_eq!(code(&out), 0);
        let out = iot(
            d,
            &[
                "attest",
                "appraise",
                "--key",
                "p.pem",
                "--reference",
                "ref.json",
                "--nonce",
                NONCE,
                "t.cbor",
                "--json",
                "--sign-key",
                "v.pem",
                "-o",
                "ear.cbor",
            ],
        );
        assert_eq!(code(&out), 0, "{out:?}");
        let j = json(&out);
        assert_eq!(j["status"], "affirming");
        let tv = &j["submods"]["device"]["ear_trustworthiness_vector"];
        assert_eq!(tv["instance-identity"], 2);
        assert_eq!(tv["executables"], 2);
        assert_eq!(tv["hardware"], 2);
        assert_eq!(tv["configuration"], 2);
        assert_eq!(j["submods"]["device"]["ear_appraisal_policy_ids"][0], "acme/fleet-1");
        let out = iot(d, &["attest", "result", "--key", "vp.pem", "ear.cbor", "--json"]);
        assert_eq!(code(&out), 0, "{out:?}");
        assert_eq!(json(&out)["status"], "affirming");
        assert_eq!(code(&iot(d, &["attest", "result", "--key", "p.pem", "ear.cbor"])), 1, "wrong verifier key");

        // Reference values for another app build: warning, exit 1.
        reference(d, b"application v3");
        let out = iot(d, &["attest", "appraise", "--key", "p.pem", "--reference", "ref.json", "t.cbor", "--json"]);
        assert_eq!(code(&out), 1);
        let j = json(&out);
        assert_eq!(j["status"], "warning");
        assert_eq!(j["submods"]["device"]["ear_trustworthiness_vector"]["executables"], 33);
        // Evidence that does not verify: contraindicated, with the reason.
        let out = iot(d, &["attest", "appraise", "--key", "vp.pem", "--reference", "ref.json", "t.cbor", "--json"]);
        assert_eq!(code(&out), 1);
        let j = json(&out);
        assert_eq!(j["status"], "contraindicated");
        assert_eq!(j["submods"]["device"]["ear_trustworthiness_vector"]["instance-identity"], 99);
        assert!(j["reason"].is_string());

        // CoRIM reference values (the draft's PSA CoMID): another implementation and other
        // digests than this device's, so the hardware is not recognized; a CoRIM that does not
        // decode is a usage error.
        if let Some(vectors) = iot_test_vectors::area("attest") {
            let corim = vectors.join("corim/draft-comid-psa-refval.cbor");
            let out = iot(
                d,
                &["attest", "appraise", "--key", "p.pem", "--reference", corim.to_str().unwrap(), "t.cbor", "--json"],
            );
            assert_eq!(code(&out), 1, "{out:?}");
            let j = json(&out);
            assert_eq!(j["status"], "contraindicated");
            assert_eq!(j["submods"]["device"]["ear_trustworthiness_vector"]["hardware"], 97);
        }
        std::fs::write(d.join("bad.corim"), [0xd9, 0x01, 0xf5, 0xa0]).unwrap();
        let out = iot(d, &["attest", "appraise", "--key", "p.pem", "--reference", "bad.corim", "t.cbor"]);
        assert_eq!(code(&out), 2);
    }

    #[test]
    fn verifies_real_tfm_token() {
        let Some(v) = iot_test_vectors::area("attest") else { return };
        let d = tempfile::tempdir().unwrap();
        let out = iot(
            d.path(),
            &[
                "attest",
                "verify",
                "--key",
                v.join("psa-veraison/tf-m/public.pem").to_str().unwrap(),
                v.join("psa-veraison/tf-m/psa-2_0_0_sign1.bin").to_str().unwrap(),
                "--json",
            ],
        );
        assert_eq!(code(&out), 0, "{out:?}");
        let j = json(&out);
        assert_eq!(j["profile"], "psa-2.0.0");
        assert_eq!(j["claims"]["psa-client-id"], 3002);
        assert_eq!(j["claims"]["psa-software-components"][0]["name"], "SPE");
        // The RFC 9783 Mac0 token with its raw 64-byte HMAC key.
        let out = iot(
            d.path(),
            &[
                "attest",
                "verify",
                "--key",
                v.join("psa-rfc9783/tfm-hs-iak.bin").to_str().unwrap(),
                v.join("psa-rfc9783/psa-mac0.cbor").to_str().unwrap(),
                "--json",
            ],
        );
        assert_eq!(code(&out), 0, "{out:?}");
        assert_eq!(json(&out)["kind"], "mac0");
    }

    /// rust-ear's README EAR JWT: verifies under its PEM key (status "none", so exit 1 with the
    /// EAR printed); under another key it is refused with `valid: false`.
    #[test]
    fn reads_an_ear_jwt() {
        let Some(v) = iot_test_vectors::area("attest") else { return };
        let d = tempfile::tempdir().unwrap();
        let e = v.join("ear/veraison");
        let run = |key: &str| {
            let (k, t) = (e.join(key), e.join("rust-ear-readme.jwt"));
            iot(d.path(), &["attest", "result", "--key", k.to_str().unwrap(), t.to_str().unwrap(), "--json"])
        };
        let out = run("rust-ear-ec_key_pub.pem");
        assert_eq!(code(&out), 1, "{out:?}");
        let j = json(&out);
        assert_eq!((j["eat_profile"].as_str(), j["status"].as_str()), (Some("test"), Some("none")));
        assert_eq!(j["submods"]["test"]["ear_status"], "none");
        let out = run("../../psa-veraison/tf-m/public.pem");
        assert_eq!(code(&out), 1, "{out:?}");
        assert_eq!(json(&out)["valid"], false);
    }
}

mod identity {
    use super::code;
    use std::process::Command;

    fn iot(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_iot")).current_dir(dir).args(args).output().unwrap()
    }

    /// The issue's contract: ca, intermediate, csr, issue, verify with `--json` and exit codes.
    #[test]
    fn ca_csr_issue_verify() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        let ok = |args: &[&str]| {
            let out = iot(p, args);
            assert_eq!(code(&out), 0, "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        ok(&["identity", "ca", "--subject", "Root", "-o", "root.pem", "--key-out", "root.key"]);
        ok(&[
            "identity",
            "ca",
            "--subject",
            "Issuing",
            "--intermediate-of",
            "root.pem",
            "--ca-key",
            "root.key",
            "-o",
            "int.pem",
            "--key-out",
            "int.key",
        ]);
        ok(&["identity", "csr", "--key", "dev.key", "--serial", "SN-1", "--cn", "dev", "-o", "dev.csr"]);
        ok(&[
            "identity", "issue", "--ca", "int.pem", "--ca-key", "int.key", "--csr", "dev.csr", "--days", "30", "-o",
            "dev.pem",
        ]);
        let out = iot(
            p,
            &[
                "identity",
                "verify",
                "--roots",
                "root.pem",
                "--intermediates",
                "int.pem",
                "--profile",
                "devid",
                "--eku",
                "client",
                "dev.pem",
                "--json",
            ],
        );
        assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["valid"], true);
        assert_eq!(v["chain"], serde_json::json!(["CN=dev, serialNumber=SN-1", "CN=Issuing", "CN=Root"]));

        // Rejections exit 1 with a reason: missing intermediate, wrong purpose, after expiry.
        for (args, reason) in [
            (vec!["--roots", "root.pem"], "unknown issuer"),
            (vec!["--roots", "root.pem", "--intermediates", "int.pem", "--eku", "server"], "extended key usage"),
            (vec!["--roots", "root.pem", "--intermediates", "int.pem", "--time", "2999-01-01T00:00:00Z"], "expired"),
        ] {
            let mut all = vec!["identity", "verify"];
            all.extend(args);
            all.extend(["dev.pem", "--json"]);
            let out = iot(p, &all);
            assert_eq!(code(&out), 1, "{all:?}");
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["valid"], false);
            assert!(v["reason"].as_str().unwrap().contains(reason), "{v}");
        }
        // A CSR whose signature is broken is refused (exit 1); a missing file is an I/O error (exit 2).
        let mut csr = std::fs::read_to_string(p.join("dev.csr")).unwrap();
        let at = csr.len() - 40;
        let c = if &csr[at..=at] == "A" { "B" } else { "A" };
        csr.replace_range(at..=at, c);
        std::fs::write(p.join("bad.csr"), csr).unwrap();
        let out =
            iot(p, &["identity", "issue", "--ca", "int.pem", "--ca-key", "int.key", "--csr", "bad.csr", "-o", "x.pem"]);
        assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
        let out = iot(p, &["identity", "verify", "--roots", "nope.pem", "dev.pem"]);
        assert_eq!(code(&out), 2);
        // The CA key must match the CA certificate.
        let out = iot(
            p,
            &["identity", "issue", "--ca", "int.pem", "--ca-key", "root.key", "--csr", "dev.csr", "-o", "x.pem"],
        );
        assert_eq!(code(&out), 2);
    }

    /// Claiming end to end through the CLI: code at the factory, challenge in the cloud, answer on
    /// the device, verification against the owner's code; a wrong code, a moved answer and another
    /// device's certificate are refused (exit 1).
    #[test]
    fn claim_and_pin() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        let run = |args: &[&str]| {
            let out = iot(p, args);
            (code(&out), out)
        };
        let ok = |args: &[&str]| {
            let (c, out) = run(args);
            assert_eq!(c, 0, "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
            out
        };
        ok(&["identity", "ca", "--subject", "Root", "-o", "root.pem", "--key-out", "root.key"]);
        for (key, serial, pem) in [("dev.key", "SN-1", "dev.pem"), ("other.key", "SN-2", "other.pem")] {
            ok(&["identity", "csr", "--key", key, "--serial", serial, "-o", "x.csr"]);
            ok(&["identity", "issue", "--ca", "root.pem", "--ca-key", "root.key", "--csr", "x.csr", "-o", pem]);
        }
        let out = ok(&["identity", "claim", "code", "--hash-out", "code.hash", "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let code_text = v["code"].as_str().unwrap().to_owned();
        assert_eq!(code_text.len(), 32);
        assert_eq!(std::fs::read_to_string(p.join("code.hash")).unwrap().trim(), v["hash"].as_str().unwrap());
        // the same code always gives the same hash, whatever the case
        let out = ok(&["identity", "claim", "code", "--code", &code_text.to_lowercase(), "--json"]);
        let again: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(again["hash"], v["hash"]);

        let out = ok(&["identity", "claim", "challenge", "--account", "acct-1", "--json"]);
        let ch: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let nonce = ch["nonce"].as_str().unwrap().to_owned();
        assert_eq!(nonce.len(), 32);
        ok(&[
            "identity",
            "claim",
            "respond",
            "--key",
            "dev.key",
            "--code-hash",
            "code.hash",
            "--serial",
            "SN-1",
            "--account",
            "acct-1",
            "--nonce",
            &nonce,
            "-o",
            "answer.cose",
        ]);
        let verify = |cert: &str, code_arg: &str, account: &str| {
            let (c, out) = run(&[
                "identity",
                "claim",
                "verify",
                "--cert",
                cert,
                "--roots",
                "root.pem",
                "--code",
                code_arg,
                "--account",
                account,
                "--nonce",
                &nonce,
                "answer.cose",
                "--json",
            ]);
            (c, serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap())
        };
        let (c, v) = verify("dev.pem", &code_text, "acct-1");
        assert_eq!(c, 0, "{v}");
        assert_eq!(v["valid"], true);
        assert_eq!(v["serial"], "SN-1");
        let wrong_code = "0000-0000-0000-0000-0000-0000-00";
        for (cert, code_arg, account, reason) in [
            ("dev.pem", wrong_code, "acct-1", "claim code"),
            ("dev.pem", code_text.as_str(), "acct-2", "another challenge"),
            ("other.pem", code_text.as_str(), "acct-1", "cose"),
        ] {
            let (c, v) = verify(cert, code_arg, account);
            assert_eq!(c, 1, "{v}");
            assert_eq!(v["valid"], false);
            assert!(v["reason"].as_str().unwrap().contains(reason), "{v}");
        }
        let (c, _) = run(&[
            "identity",
            "claim",
            "verify",
            "--cert",
            "dev.pem",
            "--code",
            &code_text,
            "--account",
            "acct-1",
            "--nonce",
            "abcd",
            "answer.cose",
        ]);
        assert_eq!(c, 2, "a malformed nonce is a usage error");

        // pins: print, then check against a list that has it and one that does not
        let out = ok(&["identity", "pin", "dev.pem", "--json"]);
        let pin: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let pin_text = pin["pin"].as_str().unwrap().to_owned();
        assert!(pin_text.starts_with("sha256/"));
        std::fs::write(p.join("pins.txt"), format!("# fleet servers\n{pin_text}\n")).unwrap();
        std::fs::write(p.join("hexpins.txt"), format!("{}\n", pin["sha256"].as_str().unwrap())).unwrap();
        let out = ok(&["identity", "pin", "dev.pem", "--check", "pins.txt", "--json"]);
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["pinned"], true);
        ok(&["identity", "pin", "dev.pem", "--check", "hexpins.txt"]);
        let (c, _) = run(&["identity", "pin", "other.pem", "--check", "pins.txt"]);
        assert_eq!(c, 1);
        std::fs::write(p.join("bad.txt"), "not-a-pin\n").unwrap();
        let (c, _) = run(&["identity", "pin", "dev.pem", "--check", "bad.txt"]);
        assert_eq!(c, 2);
    }

    /// The Matter profile over the public DAC vectors, through the CLI.
    #[test]
    fn verify_matter_vector() {
        let Some(dir) = iot_test_vectors::area("identity") else { return };
        let dir = dir.join("matter-dac");
        let doc = iot_test_vectors::json(&dir.join("dac-vectors.json"));
        let d = tempfile::tempdir().unwrap();
        for v in doc["vectors"].as_array().unwrap().iter().take(2) {
            std::fs::write(d.path().join("dac.der"), iot_test_vectors::unhex(v["dac_cert_der_hex"].as_str().unwrap()))
                .unwrap();
            std::fs::write(d.path().join("pai.der"), iot_test_vectors::unhex(v["pai_cert_der_hex"].as_str().unwrap()))
                .unwrap();
            let roots = dir.join("paa-fff1-cert.pem");
            let out = iot(
                d.path(),
                &[
                    "identity",
                    "verify",
                    "--roots",
                    roots.to_str().unwrap(),
                    "--intermediates",
                    "pai.der",
                    "--profile",
                    "matter",
                    "--time",
                    "2023-01-01T00:00:00Z",
                    "dac.der",
                    "--json",
                ],
            );
            let expected = v["matter_expected_success"].as_bool().unwrap();
            assert_eq!(code(&out), if expected { 0 } else { 1 }, "{}", String::from_utf8_lossy(&out.stdout));
        }
    }
}
