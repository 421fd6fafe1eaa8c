//! How a run is recorded: the results' provenance (edition, experts, methodology,
//! dataset), the resolved pipeline, the warnings as the edition names files
//! (`portable`), the results' own schema check, and the stage files.

#[allow(unused_imports)]
use super::*;

/// A warning as the results record it: the files it names (a manifest's formula,
/// the edition itself) by their paths relative to the edition's directory, as the
/// edition names them, instead of as this process opened them (relative to its
/// working directory, or absolute), so that the results of one edition are the
/// same bytes wherever and from wherever it runs (`cityrank verify` compares
/// them). A file the edition names by an absolute path keeps it.
pub fn portable(warning: &str, edition: &Path) -> String {
    let Some(dir) = edition.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return warning.to_string();
    };
    let dir = dir.display().to_string();
    let prefix = if dir.ends_with(std::path::MAIN_SEPARATOR) {
        dir
    } else {
        format!("{dir}{}", std::path::MAIN_SEPARATOR)
    };
    // At the start of the warning, or after a space or a backtick (a path quoted
    // within the text), never inside another path.
    let mut out = String::with_capacity(warning.len());
    let mut rest = warning;
    while let Some(at) = rest.find(&prefix) {
        let boundary = at == 0 && out.is_empty() || rest[..at].ends_with([' ', '`', '(']);
        out.push_str(&rest[..at]);
        if !boundary {
            out.push_str(&prefix);
        }
        rest = &rest[at + prefix.len()..];
    }
    out.push_str(rest);
    out
}

/// How many units (and entries of each per-unit table) the results' own schema
/// check looks at.
pub(crate) const SCHEMA_SAMPLE: usize = 64;

/// Checks the results against their own schema (a failure is a bug in
/// cityrank): every field, with the units and the per-unit tables (`missing`,
/// `imputed`, `screened_out`) cut to their first [`SCHEMA_SAMPLE`] entries while
/// it looks — they are rows of one shape, and as a JSON tree the whole document
/// of 13,000 units would take several times the memory of the results.
pub(crate) fn check_schema(results: &mut Results) -> Result<()> {
    fn cut<K: Ord + Clone, V>(map: &mut BTreeMap<K, V>) -> BTreeMap<K, V> {
        match map.keys().nth(SCHEMA_SAMPLE).cloned() {
            Some(k) => map.split_off(&k),
            None => BTreeMap::new(),
        }
    }
    let units = results.units.split_off(results.units.len().min(SCHEMA_SAMPLE));
    let screened = results
        .screened_out
        .split_off(results.screened_out.len().min(SCHEMA_SAMPLE));
    let (missing, imputed) = (cut(&mut results.missing), cut(&mut results.imputed));
    let checked = serde_json::to_value(&*results)
        .context("cannot represent the results as JSON")
        .and_then(|json| {
            schema::validate::<Results>(&json, "results").context("internal error: results do not match their schema")
        });
    results.units.extend(units);
    results.screened_out.extend(screened);
    results.missing.extend(missing);
    results.imputed.extend(imputed);
    checked
}

/// Which edition was run: its file (name and hash), the variant and what it
/// changed, and the expert panel behind its weights.
pub(crate) fn edition_info(edition: &ResolvedEdition, manifest: &Manifest) -> Result<EditionInfo> {
    Ok(EditionInfo {
        id: edition.edition.id.clone(),
        name: edition.edition.name.clone(),
        year: edition.edition.year,
        file: edition
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        sha256: edition.sha256.clone(),
        variant: edition.variant.clone(),
        changes: edition
            .variant
            .as_ref()
            .and_then(|v| edition.edition.variants.get(v))
            .cloned(),
        experts: experts_info(edition, manifest)?,
    })
}

/// What the results record of the expert panel (`None` without one): its file
/// name and hash, the settings, the nodes it weights.
pub(crate) fn experts_info(
    edition: &ResolvedEdition,
    manifest: &Manifest,
) -> Result<Option<crate::results::ExpertsInfo>> {
    let Some(spec) = &edition.experts else {
        return Ok(None);
    };
    let prepared = edition.panel_weights(spec, manifest)?;
    Ok(Some(crate::results::ExpertsInfo {
        file: spec
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        sha256: prepared.sha256.clone(),
        settings: spec.settings(),
        nodes: prepared.nodes.iter().map(|n| n.target.id.clone()).collect(),
        experts: prepared.experts.len(),
        left_out: prepared
            .nodes
            .iter()
            .flat_map(|n| {
                n.experts
                    .iter()
                    .filter(|p| p.excluded)
                    .map(|p| format!("{} at {}", prepared.experts[p.expert], n.target.id))
            })
            .collect(),
    }))
}

/// Which methodology scored the edition, and its hashes.
pub(crate) fn methodology_info(loaded: &LoadedMethodology, manifest: &Manifest) -> MethodologyInfo {
    MethodologyInfo {
        id: manifest.id.clone(),
        name: manifest.name.clone(),
        version: manifest.version.clone(),
        kind: loaded.kind().to_string(),
        sha256: loaded.sha256.clone(),
        manifest_sha256: loaded.manifest_sha256.clone(),
        contract: loaded.contract(),
    }
}

/// Which data were scored (`rows` of `dataset`), and their hashes.
pub(crate) fn dataset_info(dataset: &Dataset, rows: &[usize]) -> DatasetInfo {
    DatasetInfo {
        id: dataset.description.id.clone(),
        year: dataset.description.year,
        sha256: dataset.sha256.clone(),
        description_sha256: dataset.description_sha256.clone(),
        // Distinct unit ids: a panel has several rows (years) per unit.
        units: rows
            .iter()
            .map(|&r| dataset.units[r].id.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        rows: rows.len(),
    }
}

/// The pipeline as `manifest` (the effective one: after the edition's tiers and
/// the variant) runs it: the default steps, how each indicator is scored, and
/// the nodes that have their own aggregation.
pub fn resolved_pipeline(manifest: &Manifest) -> ResolvedPipeline {
    let indicators = manifest
        .indicators
        .iter()
        .map(|i| {
            (
                i.id.clone(),
                IndicatorSteps {
                    direction: i.direction,
                    target: i.target,
                    ladder: i.ladder.clone(),
                    denominator: i.denominator.clone(),
                    denominator_scale: i.denominator_scale,
                    treat: i.treat.clone(),
                    normalise: i.normalise.clone(),
                },
            )
        })
        .collect();
    let nodes = std::iter::once((&manifest.index.id, &manifest.index.aggregate))
        .chain(manifest.nodes.iter().map(|n| (&n.id, &n.aggregate)))
        .filter_map(|(id, a)| a.as_ref().map(|a| (id.clone(), a.clone())))
        .collect();
    ResolvedPipeline {
        steps: manifest.pipeline.clone(),
        indicators,
        nodes,
    }
}

/// Renders one CSV per stage, to be written into `dir` (`<stage>.csv`: first column
/// the unit id, then one column per indicator or node), as `(path, bytes)` pairs for
/// [`crate::fsutil::write_all_or_none`].
pub fn stage_files(
    stages: &[pipeline::Stage],
    unit_ids: &[String],
    dir: &std::path::Path,
) -> Result<Vec<(std::path::PathBuf, Vec<u8>)>> {
    let mut files = Vec::new();
    for stage in stages {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec!["id".to_string()];
        header.extend(stage.columns.iter().cloned());
        w.write_record(&header)?;
        for (row, &u) in stage.units.iter().enumerate() {
            let mut record = vec![unit_ids[u].clone()];
            record.extend(stage.values.iter().map(|c| {
                if c[row].is_nan() {
                    String::new()
                } else {
                    c[row].to_string()
                }
            }));
            w.write_record(&record)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| anyhow!("cannot render stage `{}`: {e}", stage.name))?;
        files.push((dir.join(format!("{}.csv", stage.name)), bytes));
    }
    Ok(files)
}
