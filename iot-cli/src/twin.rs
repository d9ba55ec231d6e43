//! `iot twin ...`: merge, diff and patch device-twin documents.

use crate::{Failure, Outcome};
use clap::{Args, Subcommand, ValueEnum};
use iot_twin::{Limits, Patch, Value, cbor, merge, patch};
use std::io::Write as _;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub(crate) enum TwinCommand {
    /// Apply an RFC 7396 merge patch; the result goes to stdout.
    Merge(MergeArgs),
    /// The patch from OLD to NEW: an RFC 7396 merge patch, or RFC 6902 with --json-patch.
    Diff(DiffArgs),
    /// Apply an RFC 6902 JSON Patch (atomically); the result goes to stdout.
    Patch(PatchArgs),
    /// The delta of a shadow or twin: desired members that reported lacks or holds differently.
    Delta(DeltaArgs),
}

#[derive(Debug, Args)]
pub(crate) struct DeltaArgs {
    /// The shadow (`{"state": {"desired", "reported"}}`) or twin (`{"properties": {...}}`).
    shadow: PathBuf,
    /// Which service's document shape and rules (default: aws).
    #[arg(long, value_enum, default_value = "aws")]
    profile: Profile,
    /// Read and write CBOR instead of JSON.
    #[arg(long)]
    cbor: bool,
}

/// Limits to check the result against.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Profile {
    /// AWS IoT Device Shadow: 8 KB, depth 6, no null in arrays.
    Aws,
    /// Azure IoT Hub twin: 32 KB, depth 10, key and value rules.
    Azure,
}

impl Profile {
    fn limits(self) -> Limits {
        match self {
            Profile::Aws => Limits::AWS,
            Profile::Azure => Limits::AZURE,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct Common {
    /// Read and write CBOR instead of JSON.
    #[arg(long)]
    cbor: bool,
    /// Check the result against a service's limits (exit 1 if it breaks them).
    #[arg(long, value_enum)]
    profile: Option<Profile>,
}

#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// The document.
    doc: PathBuf,
    /// The merge patch.
    patch: PathBuf,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The old document.
    old: PathBuf,
    /// The new document.
    new: PathBuf,
    /// Produce an RFC 6902 JSON Patch instead of a merge patch.
    #[arg(long)]
    json_patch: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
pub(crate) struct PatchArgs {
    /// The document.
    doc: PathBuf,
    /// The JSON Patch (an array of operations).
    ops: PathBuf,
    #[command(flatten)]
    common: Common,
}

fn load(path: &PathBuf, cbor_in: bool) -> Result<Value, Failure> {
    let bytes = std::fs::read(path).map_err(|e| Failure(format!("cannot read {}: {e}", path.display())))?;
    let v = if cbor_in { cbor::from_slice(&bytes) } else { serde_json::from_slice(&bytes).map_err(Into::into) };
    v.map_err(|e| Failure(format!("{}: {e}", path.display())))
}

fn emit(v: &Value, common: &Common) -> Result<Outcome, Failure> {
    if let Some(p) = common.profile {
        if let Err(e) = p.limits().check(v) {
            eprintln!("rejected: result breaks the {p:?} limits: {e}");
            return Ok(Outcome::Rejected);
        }
    }
    let mut out = std::io::stdout().lock();
    if common.cbor {
        out.write_all(&cbor::to_vec(v))?;
    } else {
        writeln!(out, "{v}")?;
    }
    Ok(Outcome::Ok)
}

fn rejected(e: &iot_twin::Error) -> Result<Outcome, Failure> {
    eprintln!("rejected: {e}");
    Ok(Outcome::Rejected)
}

fn delta(a: &DeltaArgs) -> Result<Outcome, Failure> {
    let doc = load(&a.shadow, a.cbor)?;
    let section = match a.profile {
        Profile::Aws => "state",
        Profile::Azure => "properties",
    };
    let Some(sections) = doc.get(section).and_then(Value::as_object) else {
        return Err(Failure(format!("{}: no \"{section}\" object", a.shadow.display())));
    };
    let strip = |v: Option<&Value>| {
        v.cloned().map(|mut v| {
            if let Value::Object(m) = &mut v {
                m.remove("$version");
                m.remove("$metadata");
            }
            v
        })
    };
    let (desired, reported) = (strip(sections.get("desired")), strip(sections.get("reported")));
    let d = desired.and_then(|d| iot_twin::aws::delta(&d, reported.as_ref()));
    let out = d.unwrap_or_else(|| Value::Object(iot_twin::Map::new()));
    emit(&out, &Common { cbor: a.cbor, profile: None })
}

pub(crate) fn run(cmd: TwinCommand) -> Result<Outcome, Failure> {
    match cmd {
        TwinCommand::Delta(a) => delta(&a),
        TwinCommand::Merge(a) => {
            let mut doc = load(&a.doc, a.common.cbor)?;
            let p = load(&a.patch, a.common.cbor)?;
            match merge::apply(&mut doc, &p) {
                Ok(()) => emit(&doc, &a.common),
                Err(e) => rejected(&e),
            }
        }
        TwinCommand::Diff(a) => {
            let (old, new) = (load(&a.old, a.common.cbor)?, load(&a.new, a.common.cbor)?);
            let p = if a.json_patch { patch::diff(&old, &new).map(|p| p.to_value()) } else { merge::diff(&old, &new) };
            match p {
                Ok(p) => emit(&p, &Common { profile: None, ..a.common }),
                Err(e) => rejected(&e),
            }
        }
        TwinCommand::Patch(a) => {
            let mut doc = load(&a.doc, a.common.cbor)?;
            let ops = load(&a.ops, a.common.cbor)?;
            match Patch::from_value(&ops).and_then(|p| p.apply(&mut doc)) {
                Ok(()) => emit(&doc, &a.common),
                Err(e) => rejected(&e),
            }
        }
    }
}
