//! `iot`: the command line over the iot-* crates.
//!
//! Conventions shared by every subcommand:
//! - keys are PEM files (SPKI public, PKCS#8 private) or COSE_Key files (CBOR), detected by content;
//! - `--json` prints exactly one JSON object on stdout;
//! - exit code 0 = ok, 1 = rejected (verification or validation failed; reason on stderr and in
//!   the JSON), 2 = usage or I/O error.

#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    reason = "a std-only binary: core/alloc paths buy nothing here"
)]

mod attest;
mod cose;
mod delta;
mod demo;
mod identity;
mod keys;
mod manifest;
mod twin;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// IoT device security: COSE, identity, manifests, deltas, attestation and twins.
#[derive(Debug, Parser)]
#[command(name = "iot", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once per run; boxing buys nothing")]
enum Command {
    /// COSE_Sign1 keys, signing and verification (RFC 9052).
    #[command(subcommand)]
    Cose(cose::CoseCommand),
    /// SUIT firmware manifests: create, verify, show, sever, and process on a reference device.
    #[command(subcommand)]
    Manifest(manifest::ManifestCommand),
    /// Binary delta updates: diff in the cloud, streaming resumable apply on the device.
    #[command(subcommand)]
    Delta(delta::DeltaCommand),
    /// Device identity: CA, CSR, DevID issuance, chain validation (X.509, IEEE 802.1AR).
    #[command(subcommand)]
    Identity(identity::IdentityCommand),
    /// Attestation: write evidence (EAT, PSA token), verify it, appraise it into an EAR.
    #[command(subcommand)]
    Attest(attest::AttestCommand),
    /// Device twin documents: RFC 7396 merge and diff, RFC 6902 patch and diff.
    #[command(subcommand)]
    Twin(twin::TwinCommand),
    /// Run the whole device-security lifecycle end to end in a temporary directory.
    Demo(demo::DemoArgs),
}

/// How a command ended; maps onto the exit-code contract.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Success (exit 0).
    Ok,
    /// The input was checked and rejected (exit 1).
    Rejected,
}

/// A usage or I/O failure (exit 2).
#[derive(Debug)]
pub(crate) struct Failure(pub(crate) String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Cose(c) => cose::run(c),
        Command::Manifest(c) => manifest::run(c),
        Command::Delta(c) => delta::run(c),
        Command::Identity(c) => identity::run(c),
        Command::Attest(c) => attest::run(c),
        Command::Twin(c) => twin::run(c),
        Command::Demo(a) => demo::run(&a),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Rejected) => ExitCode::from(1),
        Err(Failure(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}
