//! `cityrank inspect`.

use std::path::PathBuf;

use anyhow::Result;
use cityrank::methodology::{Direction, Framework, Manifest, NodeKind};
use clap::Args;

/// Arguments of `cityrank inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A methodology: a manifest (`.toml`), a plugin directory or a component (`.wasm`).
    plugin: PathBuf,
    #[command(flatten)]
    sandbox: super::SandboxArgs,
}

/// Prints the framework tree with weights and ladders.
pub fn run(args: InspectArgs) -> Result<()> {
    let sandbox = args.sandbox.sandbox()?;
    let limits = args.sandbox.limits().resolve();
    let loaded = cityrank::run::Loader::load(&sandbox, &super::plugin_source(&args.plugin)?, &limits)?;
    print!("{}", tree(&loaded.manifest, &loaded.framework));
    Ok(())
}

/// The framework as an indented tree.
fn tree(manifest: &Manifest, framework: &Framework) -> String {
    let mut out = format!("{} v{} — {}\n", manifest.id, manifest.version, manifest.name);
    if let Some(r) = &manifest.reconstructs {
        out.push_str(&format!("reconstructs: {r}\n"));
    }
    let mut stack = vec![0usize];
    while let Some(p) = stack.pop() {
        let n = &framework.nodes[p];
        let indent = "  ".repeat(n.depth);
        match n.kind {
            NodeKind::Indicator => {
                let spec = &manifest.indicators[n.indicator.unwrap_or_default()];
                let arrow = if spec.direction == Direction::Higher {
                    "↑"
                } else {
                    "↓"
                };
                out.push_str(&format!(
                    "{indent}{} {arrow} {} [{}]  weight {} (effective {:.4})\n",
                    n.id, n.name, spec.unit, n.weight, n.effective_weight
                ));
                let mut levels = spec.ladder.clone();
                levels.sort_by(|a, b| a.points.total_cmp(&b.points));
                for l in levels {
                    let cond = match (l.min, l.max) {
                        (Some(a), Some(b)) => format!("{a} ≤ x < {b}"),
                        (Some(a), None) => format!("x ≥ {a}"),
                        (None, Some(b)) => format!("x < {b}"),
                        (None, None) => "any".into(),
                    };
                    out.push_str(&format!("{indent}    {} pt  {cond}  {}\n", l.points, l.label));
                }
            }
            _ => {
                out.push_str(&format!(
                    "{indent}{} — {}  weight {} (effective {:.4}), {} children\n",
                    n.id,
                    n.name,
                    n.weight,
                    n.effective_weight,
                    n.children.len()
                ));
            }
        }
        stack.extend(n.children.iter().rev());
    }
    let tiers: Vec<String> = manifest
        .tiers
        .iter()
        .map(|t| format!("{} ({})", t.label, t.describe()))
        .collect();
    out.push_str(&format!("tiers: {}\n", tiers.join(", ")));
    out
}
