//! `cityrank validate`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

/// Arguments of `cityrank validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// A plugin crate directory or a component file.
    plugin: PathBuf,
    #[command(flatten)]
    sandbox: super::SandboxArgs,
}

/// Loads the plugin, checks its manifest and prints a summary.
pub fn run(args: ValidateArgs) -> Result<()> {
    let sandbox = args.sandbox.sandbox()?;
    let limits = args.sandbox.limits().resolve();
    let loaded = cityrank::run::load_methodology(&sandbox, &super::plugin_source(&args.plugin)?, &limits)?;
    let m = &loaded.manifest;
    let count = |k| loaded.framework.nodes.iter().filter(|n| n.kind == k).count();
    use cityrank::methodology::NodeKind;
    println!("ok: {} v{} — {}", m.id, m.version, m.name);
    println!(
        "  component   {} ({} bytes, sha256 {})",
        loaded.component_path.display(),
        loaded.plugin.size(),
        loaded.plugin.sha256()
    );
    println!(
        "  contract    cityrank:methodology@{}",
        cityrank::sandbox::CONTRACT_VERSION
    );
    println!(
        "  framework   1 index, {} nodes, {} indicators, depth {}",
        count(NodeKind::Pillar),
        count(NodeKind::Indicator),
        loaded.framework.nodes.iter().map(|n| n.depth).max().unwrap_or(0)
    );
    println!(
        "  inputs      {}",
        m.inputs.iter().map(|i| i.id.as_str()).collect::<Vec<_>>().join(", ")
    );
    println!(
        "  tiers       {}",
        m.tiers
            .iter()
            .map(|t| format!("{} ({})", t.label, t.describe()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("  manifest    {} fuel", loaded.report.fuel);
    Ok(())
}
