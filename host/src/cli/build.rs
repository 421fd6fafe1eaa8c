//! `cityrank build`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

/// Arguments of `cityrank build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The plugin crate's directory (e.g. plugins/harbor-ladder).
    plugin_dir: PathBuf,
    /// Rebuild even when the component is up to date.
    #[arg(long)]
    force: bool,
}

/// Builds the plugin and prints where the component is.
pub fn run(args: BuildArgs) -> Result<()> {
    let built = if args.force {
        cityrank::build::build_now(&args.plugin_dir)?
    } else {
        cityrank::build::build_if_stale(&args.plugin_dir)?
    };
    let size = std::fs::metadata(&built.component).map(|m| m.len()).unwrap_or(0);
    println!(
        "{} {} ({size} bytes)",
        if built.rebuilt { "built" } else { "up to date:" },
        built.component.display()
    );
    Ok(())
}
