//! `cityrank document`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use cityrank::compare::EditionArg;
use cityrank::dataset::Dataset;
use clap::Args;

/// Arguments of `cityrank document`.
#[derive(Debug, Args)]
pub struct DocumentArgs {
    /// The edition, `EDITION.toml` or `EDITION.toml@VARIANT`.
    #[arg(value_name = "EDITION[@VARIANT]")]
    edition: EditionArg,
    /// Write the appendix to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    sandbox: super::SandboxArgs,
}

/// Runs the edition and writes its methodology appendix (Markdown).
pub fn run(args: DocumentArgs) -> Result<()> {
    let edition = args.edition.load(&args.sandbox.limits())?;
    let sandbox = args.sandbox.sandbox()?;
    let loaded = cityrank::run::Loader::load(&sandbox, &edition.plugin, &edition.limits)?;
    let dataset = Dataset::load(&edition.dataset)?;
    let output = cityrank::run::run_loaded(&loaded, &edition, &dataset, Default::default())
        .with_context(|| format!("running `{}`", args.edition))?;
    super::print_warnings(&output.warnings, None);
    let manifest = edition.effective_manifest(&loaded.manifest)?;
    let text = cityrank::document::markdown(&edition, &manifest, &dataset.description, &output.results);
    super::emit(&text, args.output.as_deref())
}
