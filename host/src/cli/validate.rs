//! `cityrank validate`: check an edition or a methodology without running the ranking.

use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::Args;

use cityrank::dataset::Dataset;
use cityrank::edition::{PluginSource, ResolvedEdition};
use cityrank::methodology::NodeKind;
use cityrank::run::LoadedMethodology;

/// Arguments of `cityrank validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// What to check: an edition file (`methodologies/las-2024.toml`), a methodology
    /// manifest (`methodology.toml`), a plugin directory (Rust, Python or
    /// JavaScript; built if needed) or a component (`.wasm`).
    path: PathBuf,
    #[command(flatten)]
    sandbox: super::SandboxArgs,
}

/// Checks the edition or methodology at `args.path` and prints a summary; an
/// error lists what is wrong.
pub fn run(args: ValidateArgs) -> Result<()> {
    if cityrank::edition::edition_table(&args.path).is_some() {
        return validate_edition(&args);
    }
    let sandbox = args.sandbox.sandbox()?;
    let limits = args.sandbox.limits().resolve();
    let source = super::plugin_source(&args.path)?;
    let loaded = cityrank::run::Loader::load(&sandbox, &source, &limits)?;
    print_methodology(&loaded);
    if matches!(source, PluginSource::Manifest(_)) && !loaded.formulas.variables().is_empty() {
        println!(
            "  note        the formulas' variables are checked against a dataset when an edition runs or is \
             validated (`cityrank validate EDITION.toml`)"
        );
    }
    Ok(())
}

fn validate_edition(args: &ValidateArgs) -> Result<()> {
    let flags = args.sandbox.limits();
    let edition = ResolvedEdition::load(&args.path, &flags)?;
    let sandbox = args.sandbox.sandbox()?;
    let loaded = cityrank::run::Loader::load(&sandbox, &edition.plugin, &edition.limits)?;
    let dataset = Dataset::load(&edition.dataset)?;
    let file = args.path.display().to_string();
    let mut problems: Vec<String> = Vec::new();
    // The methodology on the dataset: inputs, formulas' variables, and the plugin's
    // derive (one call, no scoring).
    let derived = cityrank::run::derive_rows(&loaded, &edition, &dataset);
    if let Err(e) = &derived {
        problems.push(format!("{e:#}"));
    }
    // Every variant as a run would see it: its own dataset or panel, its changes to
    // the manifest, and no step left to plugin code a manifest does not have.
    for name in edition.edition.variants.keys() {
        let result = (|| -> anyhow::Result<()> {
            let e = ResolvedEdition::load_variant(&args.path, &flags, Some(name))?;
            let own;
            let d = if e.dataset != edition.dataset || e.panel != edition.panel {
                own = Dataset::load(&e.dataset)?;
                cityrank::run::derive_rows(&loaded, &e, &own)?;
                &own
            } else {
                &dataset
            };
            let m = e.effective_manifest(&loaded.manifest)?;
            let framework = m.framework().map_err(|x| anyhow!("{file} (variant `{name}`): {x}"))?;
            cityrank::pipeline::check_level(&m, &framework).map_err(|x| anyhow!("{file} (variant `{name}`): {x}"))?;
            cityrank::run::ranking_columns(&m, d).map_err(|x| anyhow!("{file} (variant `{name}`): {x}"))?;
            if loaded.plugin.is_none()
                && let Some(step) = m.plugin_steps().first()
            {
                bail!(
                    "{file} (variant `{name}`): {step}: `method = \"plugin\"` runs the plugin's own code, but the \
                     methodology is a manifest without code"
                );
            }
            Ok(())
        })();
        // The same problem (e.g. a pin that does not match) once, not per variant.
        if let Err(e) = result.map_err(|e| format!("{e:#}"))
            && !problems.contains(&e)
        {
            problems.push(e);
        }
    }
    if let Err(e) = edition.effective_manifest(&loaded.manifest).and_then(|m| {
        let framework = m.framework()?;
        cityrank::pipeline::check_level(&m, &framework)?;
        cityrank::run::ranking_columns(&m, &dataset).map(|_| ())
    }) {
        problems.push(format!("{file}: {e:#}"));
    }
    // The sensitivity analysis as declared: its inputs and design, checked without a build.
    if let Some(spec) = &edition.edition.sensitivity
        && derived.is_ok()
        && let Err(e) = cityrank::sensitivity::check(&loaded, &edition, &dataset, spec)
    {
        let text = format!("{e:#}");
        let source = cityrank::diagnostic::Source::new(file.clone(), std::fs::read_to_string(&args.path)?);
        problems.push(match text.strip_prefix(&format!("{file}: ")) {
            Some(rest) => source.render(rest),
            None => text,
        });
    }
    // One line per problem: an error may hold several (each formula's unknown names),
    // and lines that start with spaces continue the one above.
    let mut lines: Vec<String> = Vec::new();
    for p in &problems {
        // A list of problems (`file: 3 problems:` and the problems indented under
        // it) is listed as its problems, so that the count below counts them.
        let listed = p
            .lines()
            .next()
            .is_some_and(|head| head.ends_with(" problems:") && p.lines().skip(1).all(|l| l.starts_with("  ")));
        let body: Vec<&str> = if listed {
            p.lines().skip(1).map(|l| &l[2..]).collect()
        } else {
            p.lines().collect()
        };
        for l in body {
            match lines.last_mut() {
                Some(last) if l.starts_with(' ') => {
                    last.push_str("\n    ");
                    last.push_str(l.trim_start());
                }
                _ => lines.push(l.to_string()),
            }
        }
    }
    let problems = lines;
    if !problems.is_empty() {
        bail!(
            "{file}: {} problem{}:\n  {}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            problems.join("\n  ")
        );
    }
    let e = &edition.edition;
    println!("ok: edition {} — {} ({})", e.id, e.name, e.year);
    print_methodology(&loaded);
    if e.methodology_sha256.is_some() {
        println!("  pinned      methodology_sha256 matches");
    }
    println!(
        "  dataset     {} ({} rows, {} numeric and {} text variables)",
        edition.dataset.display(),
        dataset.units.len(),
        dataset.numbers.len(),
        dataset.texts.len()
    );
    if let Ok(d) = &derived {
        for w in &d.warnings {
            eprintln!("warning: {w}");
        }
        let missing = d
            .raw
            .iter()
            .map(|c| c.iter().filter(|v| v.is_nan()).count())
            .sum::<usize>();
        println!(
            "  derived     {} indicators × {}, {missing} value{} missing",
            d.raw.len(),
            cityrank::report::table_size(d.unit_ids.iter().map(String::as_str)),
            if missing == 1 { "" } else { "s" }
        );
    }
    if !e.variants.is_empty() {
        println!(
            "  variants    {}",
            e.variants.keys().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    if let Some(s) = &e.sensitivity {
        println!("  sensitivity {} inputs, {} samples", s.inputs.len(), s.samples);
    }
    Ok(())
}

fn print_methodology(loaded: &LoadedMethodology) {
    let m = &loaded.manifest;
    let count = |k| loaded.framework.nodes.iter().filter(|n| n.kind == k).count();
    println!("ok: methodology {} v{} — {}", m.id, m.version, m.name);
    match &loaded.plugin {
        Some(plugin) => {
            println!(
                "  component   {} ({} bytes, sha256 {})",
                loaded.path.display(),
                plugin.size(),
                plugin.sha256()
            );
            println!("  contract    {}", loaded.contract().unwrap_or_default());
            println!("  manifest    read from the component ({} fuel)", loaded.report.fuel);
        }
        None => println!(
            "  manifest    {} (declarative, sha256 {})",
            loaded.path.display(),
            loaded.sha256
        ),
    }
    println!(
        "  framework   1 index, {} nodes, {} indicators ({} from a variable, {} by formula, {} by code), depth {}",
        count(NodeKind::Pillar),
        count(NodeKind::Indicator),
        m.indicators.iter().filter(|x| x.from.is_some()).count(),
        m.indicators.iter().filter(|x| x.formula.is_some()).count(),
        (0..m.indicators.len()).filter(|&i| !loaded.formulas.covers(i)).count(),
        loaded.framework.nodes.iter().map(|n| n.depth).max().unwrap_or(0)
    );
    let mut inputs: Vec<String> = m.inputs.iter().map(|i| i.id.clone()).collect();
    for v in loaded.formulas.variables() {
        if !inputs.contains(&v) {
            inputs.push(v);
        }
    }
    println!("  inputs      {}", inputs.join(", "));
    println!(
        "  tiers       {}",
        m.tiers
            .iter()
            .map(|t| format!("{} ({})", t.label, t.describe()))
            .collect::<Vec<_>>()
            .join(", ")
    );
}
