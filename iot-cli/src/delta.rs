//! `iot delta diff|apply|info`: binary delta patches for firmware images.

use crate::{Failure, Outcome, keys};
use clap::{Args, Subcommand, ValueEnum};
use iot_delta::{DiffOptions, Error, Event, Filter, FilterChoice, Header, Profile, StandardApplier};
use serde_json::json;
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub(crate) enum DeltaCommand {
    /// Make a patch that turns OLD into NEW.
    Diff(DiffArgs),
    /// Rebuild NEW from OLD and a patch; checks both images' SHA-256.
    Apply(ApplyArgs),
    /// Print a patch's header.
    Info(InfoArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ProfileArg {
    Tiny,
    Standard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FilterArg {
    Auto,
    None,
    Thumb2,
    Aarch64,
    X86,
}

#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The image the device has.
    old: PathBuf,
    /// The image it should get.
    new: PathBuf,
    /// The patch file to write.
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
    /// The applier RAM class: tiny (<= 8 KiB) or standard (<= 64 KiB of model).
    #[arg(long, value_enum, default_value_t = ProfileArg::Standard)]
    profile: ProfileArg,
    /// Executable filter: auto diffs with `none` and with every filter whose branch instructions
    /// the new image has in quantity, and keeps the smallest patch.
    #[arg(long, value_enum, default_value_t = FilterArg::Auto)]
    filter: FilterArg,
    /// Target bytes per checkpointed block, as log2 (6..=24); default by profile.
    #[arg(long)]
    block_log2: Option<u8>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Report progress on stderr.
    #[arg(long)]
    progress: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    /// The image the patch was made from.
    old: PathBuf,
    /// The patch.
    patch: PathBuf,
    /// Where to write the rebuilt image (only after every check passed).
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct InfoArgs {
    /// The patch.
    patch: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(c: DeltaCommand) -> Result<Outcome, Failure> {
    match c {
        DeltaCommand::Diff(a) => diff(&a),
        DeltaCommand::Apply(a) => apply(&a),
        DeltaCommand::Info(a) => info(&a),
    }
}

fn diff(a: &DiffArgs) -> Result<Outcome, Failure> {
    let old = keys::read(&a.old)?;
    let new = keys::read(&a.new)?;
    let mut options = DiffOptions::for_profile(match a.profile {
        ProfileArg::Tiny => Profile::Tiny,
        ProfileArg::Standard => Profile::Standard,
    });
    options.filter = match a.filter {
        FilterArg::Auto => FilterChoice::Auto,
        FilterArg::None => FilterChoice::Use(Filter::None),
        FilterArg::Thumb2 => FilterChoice::Use(Filter::Thumb2),
        FilterArg::Aarch64 => FilterChoice::Use(Filter::Aarch64),
        FilterArg::X86 => FilterChoice::Use(Filter::X86),
    };
    options.block_log2 = a.block_log2;
    let started = std::time::Instant::now();
    let show = a.progress;
    let patch = iot_delta::diff_with_progress(&old, &new, &options, &mut |p| {
        if show {
            eprintln!("{:?}: {} / {}", p.stage, p.done, p.total);
        }
    })
    .map_err(|e| Failure(format!("diff: {e}")))?;
    keys::write(&a.out, &patch)?;
    let header = Header::parse(&patch).map_err(|e| Failure(format!("internal: {e}")))?;
    if a.json {
        let mut v = header_json(&header, patch.len());
        if let Some(o) = v.as_object_mut() {
            o.insert("diff_ms".into(), json!(started.elapsed().as_millis()));
        }
        println!("{v}");
    } else {
        println!(
            "{}: {} bytes ({:.2} % of {} bytes), profile {}, filter {}, applier RAM {} bytes",
            a.out.display(),
            patch.len(),
            percent(patch.len(), new.len()),
            new.len(),
            header.profile.name(),
            header.filter.name(),
            header.ram_bytes()
        );
    }
    Ok(Outcome::Ok)
}

/// `part` as a percentage of `whole` (0 for an empty whole).
pub(crate) fn percent(part: usize, whole: usize) -> f64 {
    let p = u32::try_from(part).map_or(f64::MAX, f64::from);
    let w = u32::try_from(whole).map_or(f64::MAX, f64::from);
    if w == 0.0 { 0.0 } else { 100.0 * p / w }
}

fn header_json(h: &Header, patch_size: usize) -> serde_json::Value {
    json!({
        "format_version": iot_delta::FORMAT_VERSION,
        "profile": h.profile.name(),
        "filter": h.filter.name(),
        "source_size": h.source_size,
        "source_sha256": hex::encode(h.source_sha256),
        "target_size": h.target_size,
        "target_sha256": hex::encode(h.target_sha256),
        "patch_size": patch_size,
        "ram_bytes": h.ram_bytes(),
        "block_size": h.params.block_size(),
        "blocks": h.blocks(),
        "model": {
            "probability_slots": h.params.probs(),
            "literal_bits": h.params.lit_bits,
            "zero_bits": h.params.zero_bits,
            "prev_bits": h.params.prev_bits,
            "align_bits": h.params.align_bits,
            "value_bits": h.params.value_bits,
        },
    })
}

fn info(a: &InfoArgs) -> Result<Outcome, Failure> {
    let patch = keys::read(&a.patch)?;
    match Header::parse(&patch) {
        Ok(h) => {
            if a.json {
                println!("{}", header_json(&h, patch.len()));
            } else {
                println!("iot-delta patch, format version {}", iot_delta::FORMAT_VERSION);
                println!("  profile      {} (applier RAM {} bytes)", h.profile.name(), h.ram_bytes());
                println!("  filter       {}", h.filter.name());
                println!("  source       {} bytes, sha256 {}", h.source_size, hex::encode(h.source_sha256));
                println!("  target       {} bytes, sha256 {}", h.target_size, hex::encode(h.target_sha256));
                println!(
                    "  patch        {} bytes ({:.2} % of target)",
                    patch.len(),
                    percent(patch.len(), usize::try_from(h.target_size).unwrap_or(usize::MAX))
                );
                println!("  blocks       {} of {} bytes", h.blocks(), h.params.block_size());
            }
            Ok(Outcome::Ok)
        }
        Err(e) => {
            reject(a.json, &e);
            Ok(Outcome::Rejected)
        }
    }
}

fn reject(json_out: bool, e: &Error) {
    if json_out {
        println!("{}", json!({"ok": false, "error": e.to_string()}));
    }
    eprintln!("rejected: {e}");
}

/// Rebuilds the target from `old` and `patch` into `out` (a `Vec`), feeding the patch in
/// network-sized chunks. Returns the applier's error on any check failure.
pub(crate) fn apply_bytes(old: &[u8], patch: &[u8], out: &mut Vec<u8>) -> Result<Header, Error> {
    let mut applier = Box::new(StandardApplier::new());
    let mut rest = patch;
    loop {
        let n = rest.len().min(4096);
        let fed = applier.feed(rest.get(..n).unwrap_or(&[]), &mut &old[..], out)?;
        rest = rest.get(fed.consumed..).unwrap_or(&[]);
        if fed.event == Event::Done || (rest.is_empty() && fed.event == Event::NeedMore) {
            break;
        }
    }
    applier.finish()?;
    applier.header().copied().ok_or(Error::Truncated)
}

fn apply(a: &ApplyArgs) -> Result<Outcome, Failure> {
    let old = keys::read(&a.old)?;
    let patch = keys::read(&a.patch)?;
    let mut out = Vec::new();
    match apply_bytes(&old, &patch, &mut out) {
        Ok(h) => {
            write_atomically(&a.out, &out)?;
            if a.json {
                let mut v = header_json(&h, patch.len());
                if let Some(o) = v.as_object_mut() {
                    o.insert("ok".into(), json!(true));
                }
                println!("{v}");
            } else {
                println!("{}: {} bytes, sha256 {} verified", a.out.display(), out.len(), hex::encode(h.target_sha256));
            }
            Ok(Outcome::Ok)
        }
        Err(e) => {
            reject(a.json, &e);
            Ok(Outcome::Rejected)
        }
    }
}

/// Writes to a temporary file beside `path` and renames it into place, so a reader never sees
/// a partial image under the final name.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| Failure(format!("cannot create {}: {e}", dir.display())))?;
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(|e| Failure(format!("{}: {e}", dir.display())))?;
    tmp.write_all(bytes).map_err(|e| Failure(format!("{}: {e}", path.display())))?;
    tmp.as_file().sync_all().map_err(|e| Failure(format!("{}: {e}", path.display())))?;
    tmp.persist(path).map_err(|e| Failure(format!("cannot write {}: {}", path.display(), e.error)))?;
    Ok(())
}
