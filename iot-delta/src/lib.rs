#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(feature = "std", doc = include_str!("../README.md"))]
#![cfg_attr(
    not(feature = "std"),
    doc = "Firmware delta patches: the streaming, resumable, allocation-free applier (the differ needs the `std` feature). See README.md and FORMAT.md."
)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

mod apply;
mod error;
mod filter;
mod header;
mod model;
mod rc;
mod sha;

#[cfg(feature = "std")]
mod diff;

pub use apply::{
    Applier, CHECKPOINT_LEN, Checkpoint, Event, Fed, IoError, STANDARD_BUF, STANDARD_PROBS, SliceTarget, Source,
    StandardApplier, TINY_BUF, TINY_PROBS, Target, TinyApplier,
};
#[cfg(feature = "std")]
pub use diff::{DiffOptions, FilterChoice, Progress, Stage, diff, diff_with_progress};
pub use error::{Error, Result};
pub use header::{FORMAT_VERSION, Filter, HEADER_LEN, Header, MAGIC, MAX_IMAGE, Params, Profile};
