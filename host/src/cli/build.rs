//! `cityrank build`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

/// Arguments of `cityrank build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The plugin's directory: a Rust crate (e.g. plugins/u4ssc), or a Python
    /// (`methodology.py`) or JavaScript (`methodology.js`) plugin.
    plugin_dir: PathBuf,
    /// Rebuild even when the component is up to date.
    #[arg(long)]
    force: bool,
}

/// Builds the plugin and prints where the component is.
pub fn run(args: BuildArgs) -> Result<()> {
    let source = super::plugin_source(&args.plugin_dir)?;
    let built = if args.force {
        cityrank::build::build_now(&source)?
    } else {
        cityrank::build::build_if_stale(&source)?
    };
    let size = std::fs::metadata(&built.component).map(|m| m.len()).unwrap_or(0);
    println!(
        "{} {} ({size} bytes)",
        if built.rebuilt { "built" } else { "up to date:" },
        built.component.display()
    );
    Ok(())
}
