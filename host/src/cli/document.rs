//! `cityrank document`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use cityrank::compare::EditionArg;
use cityrank::dataset::Dataset;
use clap::Args;

/// Output formats of `cityrank document`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Markdown, for a report, a wiki or a repository.
    Md,
    /// A self-contained web page (no network), the framework drawn as a sunburst.
    Html,
}

/// Arguments of `cityrank document`.
#[derive(Debug, Args)]
pub struct DocumentArgs {
    /// The edition, `EDITION.toml` or `EDITION.toml@VARIANT`.
    #[arg(value_name = "EDITION[@VARIANT]")]
    edition: EditionArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Md)]
    format: Format,
    /// Write the appendix to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    sandbox: super::SandboxArgs,
}

/// Runs the edition and writes its methodology appendix (Markdown or HTML).
pub fn run(args: DocumentArgs) -> Result<()> {
    let edition = args.edition.load(&args.sandbox.limits())?;
    let sandbox = args.sandbox.sandbox()?;
    let loaded = cityrank::run::Loader::load(&sandbox, &edition.plugin, &edition.limits)?;
    let dataset = Dataset::load(&edition.dataset)?;
    let output = cityrank::run::run_loaded(&loaded, &edition, &dataset, Default::default())
        .with_context(|| format!("running `{}`", args.edition))?;
    super::print_warnings(&output.warnings, None);
    let manifest = edition.effective_manifest(&loaded.manifest)?;
    let mut text = cityrank::document::markdown(&edition, &manifest, &dataset, &output.results);
    if args.format == Format::Html {
        let title = format!("{} — methodology", edition.edition.name);
        text = cityrank::html::document_report(&title, &text, &output.results.framework)?;
    }
    super::emit(&text, args.output.as_deref())
}
