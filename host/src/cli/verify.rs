//! `cityrank verify`.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;

/// Arguments of `cityrank verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A results file written by `cityrank run EDITION --format json -o FILE`.
    results: PathBuf,
    /// The edition file to re-run [default: the file named in the results, looked
    /// for beside them, in `methodologies/` beside or above them, and in
    /// `methodologies/` of the current directory]. The results record the edition
    /// file's name, so a renamed copy gives other bytes.
    #[arg(long, value_name = "FILE")]
    edition: Option<PathBuf>,
    /// List every difference (by default the first 30, ranks and tiers first).
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    sandbox: super::SandboxArgs,
}

/// Re-runs the edition the results name; exits with an error unless the new
/// results are byte-identical.
pub fn run(args: VerifyArgs) -> Result<()> {
    let sandbox = args.sandbox.sandbox()?;
    let v = cityrank::verify::verify(&sandbox, &args.results, args.edition.as_deref(), &args.sandbox.limits())?;
    let limit = (!args.all).then_some(cityrank::verify::MAX_DIFFERENCES);
    print!("{}", v.render(limit));
    if !v.identical {
        bail!(
            "{}: not verified: the re-run does not give the same results (see above)",
            args.results.display()
        );
    }
    Ok(())
}
