//! The standard steps of the pipeline, described once.
//!
//! Each entry says what the rest of cityrank needs to know about a step: its key
//! in a manifest's `[pipeline]` and a variant's `pipeline`, the stage table it
//! leaves (`--stages`), the memoised phase it belongs to, how a variant sets it or
//! skips it, whether a variant touches it, and the settings its cache key covers.
//! Variants ([`crate::edition::Variant::apply_in_place`]), the stage names
//! ([`stage_names`]), the pipeline's cache keys ([`cache_keys`]) and the reach of a
//! variant ([`crate::edition::Variant::reach`], what a sensitivity analysis must
//! recompute) all follow from [`STEPS`].
//!
//! Adding a step: its spec field in `PipelineSpec` and in `PipelineOverride`
//! (what a variant may set: the type system cannot derive one from the other
//! and keep the documents' schemas readable), its computation in `pipeline/`
//! (recording its table under a [`stage`] name), and one entry here; tests check
//! that every `[pipeline]` key has an entry, that a variant's `pipeline` table has
//! the same keys, and that a run records exactly the stages [`stage_names`] lists.

use serde_json::{Value, json};

use crate::methodology::{Framework, Manifest, NormaliseSpec, PipelineOverride, TreatSpec};

/// The names of the stage tables (`--stages`, `explain`, the results workbook):
/// the pipeline records its tables under these, and [`STEPS`] says which step
/// leaves which.
pub mod stage {
    /// The `raw` stage table.
    pub const RAW: &str = "raw";
    /// The `denominated` stage table.
    pub const DENOMINATED: &str = "denominated";
    /// The `imputed` stage table.
    pub const IMPUTED: &str = "imputed";
    /// The `screened` stage table.
    pub const SCREENED: &str = "screened";
    /// The `treated` stage table.
    pub const TREATED: &str = "treated";
    /// The `normalised` stage table.
    pub const NORMALISED: &str = "normalised";
    /// The `aggregated` stage table.
    pub const AGGREGATED: &str = "aggregated";
}

/// The memoised phases of a pipeline run, in order: a change to a step
/// invalidates its phase and every later one (a sensitivity analysis recomputes
/// from there; earlier phases come from the cache).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Denominate → impute → screen.
    Prepare,
    /// Outlier treatment.
    Treat,
    /// Normalisation.
    Normalise,
    /// Weighting, aggregation, rescaling, ranking and tiers (not memoised).
    Later,
}

/// Which per-part table of a variant belongs to a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// None.
    None,
    /// `denominate`: indicators' own denominators and scale factors.
    IndicatorDenominate,
    /// `treat`: indicators' own outlier treatment.
    IndicatorTreat,
    /// `normalise`: indicators' own normalisation.
    IndicatorNormalise,
    /// `weights`: weights of nodes and indicators.
    Weights,
    /// `aggregate`: nodes' own aggregation.
    NodeAggregate,
}

/// One standard step.
pub struct StepDef {
    /// Its key in `[pipeline]` and in a variant's `pipeline` (`normalise`).
    pub name: &'static str,
    /// Its name in the OECD/JRC Handbook's and COINr's words (`Normalisation`).
    pub label: &'static str,
    /// The stage table written after it (`normalised`), if any.
    pub stage: Option<&'static str>,
    /// The phase it belongs to.
    pub phase: Phase,
    /// Whether a variant may skip it (`skip = ["treat"]`).
    pub skippable: bool,
    /// Sets the step from a variant's `pipeline` table, if it names the step;
    /// setting the pipeline's step replaces the indicators' or nodes' own.
    pub apply: fn(&PipelineOverride, &mut Manifest),
    /// Removes the step (for skippable steps).
    pub skip: fn(&mut Manifest),
    /// Whether a variant's `pipeline` table sets this step.
    pub overridden: fn(&PipelineOverride) -> bool,
    /// The per-indicator or per-node settings of a variant that belong to this
    /// step (a variant's `denominate`, `treat`, `normalise`, `weights` or
    /// `aggregate` table).
    pub part: Part,
    /// The settings of this step its phase's cache key covers (per indicator
    /// where indicators have their own).
    pub key: fn(&Manifest) -> Value,
}

fn nothing(_: &mut Manifest) {}

fn no_key(_: &Manifest) -> Value {
    Value::Null
}

/// Every standard step, in the order it runs.
pub static STEPS: [StepDef; 10] = [
    StepDef {
        name: "denominate",
        label: "Denomination",
        stage: Some(stage::DENOMINATED),
        phase: Phase::Prepare,
        skippable: true,
        apply: |o, m| {
            if let Some(v) = &o.denominate {
                m.pipeline.denominate = Some(v.clone());
                m.indicators.iter_mut().for_each(|i| i.denominator_scale = None);
            }
        },
        skip: |m| m.pipeline.denominate = None,
        overridden: |o| o.denominate.is_some(),
        part: Part::IndicatorDenominate,
        key: |m| {
            let denominators: Vec<(&Option<String>, &Option<f64>)> = m
                .indicators
                .iter()
                .map(|i| (&i.denominator, &i.denominator_scale))
                .collect();
            json!([m.pipeline.denominate, denominators])
        },
    },
    StepDef {
        name: "impute",
        label: "Imputation of missing values",
        stage: Some(stage::IMPUTED),
        phase: Phase::Prepare,
        skippable: true,
        apply: |o, m| {
            if let Some(v) = &o.impute {
                m.pipeline.impute = Some(v.clone());
            }
        },
        skip: |m| m.pipeline.impute = None,
        overridden: |o| o.impute.is_some(),
        part: Part::None,
        key: |m| json!(m.pipeline.impute),
    },
    StepDef {
        name: "screen",
        label: "Screening of units by data availability",
        stage: Some(stage::SCREENED),
        phase: Phase::Prepare,
        skippable: true,
        apply: |o, m| {
            if let Some(v) = &o.screen {
                m.pipeline.screen = Some(v.clone());
            }
        },
        skip: |m| m.pipeline.screen = None,
        overridden: |o| o.screen.is_some(),
        part: Part::None,
        key: |m| json!(m.pipeline.screen),
    },
    StepDef {
        name: "treat",
        label: "Outlier treatment",
        stage: Some(stage::TREATED),
        phase: Phase::Treat,
        skippable: true,
        apply: |o, m| {
            if let Some(v) = &o.treat {
                m.pipeline.treat = Some(v.clone());
                m.indicators.iter_mut().for_each(|i| i.treat = None);
            }
        },
        skip: |m| {
            m.pipeline.treat = None;
            m.indicators.iter_mut().for_each(|i| i.treat = None);
        },
        overridden: |o| o.treat.is_some(),
        part: Part::IndicatorTreat,
        key: |m| {
            let specs: Vec<Option<&TreatSpec>> = m
                .indicators
                .iter()
                .map(|i| i.treat.as_ref().or(m.pipeline.treat.as_ref()))
                .collect();
            json!(specs)
        },
    },
    StepDef {
        name: "normalise",
        label: "Normalisation",
        stage: Some(stage::NORMALISED),
        phase: Phase::Normalise,
        skippable: false,
        apply: |o, m| {
            if let Some(v) = &o.normalise {
                m.pipeline.normalise = v.clone();
                m.indicators.iter_mut().for_each(|i| i.normalise = None);
            }
        },
        skip: nothing,
        overridden: |o| o.normalise.is_some(),
        part: Part::IndicatorNormalise,
        key: |m| {
            let specs: Vec<&NormaliseSpec> = m
                .indicators
                .iter()
                .map(|i| i.normalise.as_ref().unwrap_or(&m.pipeline.normalise))
                .collect();
            json!(specs)
        },
    },
    StepDef {
        name: "weights",
        label: "Weighting",
        stage: None,
        phase: Phase::Later,
        skippable: false,
        apply: |o, m| {
            if let Some(v) = &o.weights {
                m.pipeline.weights = v.clone();
            }
        },
        skip: nothing,
        overridden: |o| o.weights.is_some(),
        part: Part::Weights,
        key: no_key,
    },
    StepDef {
        name: "aggregate",
        label: "Aggregation",
        stage: Some(stage::AGGREGATED),
        phase: Phase::Later,
        skippable: false,
        apply: |o, m| {
            if let Some(v) = &o.aggregate {
                m.pipeline.aggregate = v.clone();
                m.index.aggregate = None;
                m.nodes.iter_mut().for_each(|n| n.aggregate = None);
            }
        },
        skip: nothing,
        overridden: |o| o.aggregate.is_some(),
        part: Part::NodeAggregate,
        key: no_key,
    },
    StepDef {
        name: "missing",
        label: "Missing values in aggregation",
        stage: None,
        phase: Phase::Later,
        skippable: false,
        apply: |o, m| {
            if let Some(v) = o.missing {
                m.pipeline.missing = v;
            }
        },
        skip: nothing,
        overridden: |o| o.missing.is_some(),
        part: Part::None,
        key: no_key,
    },
    StepDef {
        name: "rescale",
        label: "Rescaling of the index",
        stage: None,
        phase: Phase::Later,
        skippable: false,
        apply: |o, m| {
            if let Some(v) = &o.rescale {
                m.pipeline.rescale = Some(v.clone());
            }
        },
        skip: nothing,
        overridden: |o| o.rescale.is_some(),
        part: Part::None,
        key: no_key,
    },
    StepDef {
        name: "rank",
        label: "Ranking",
        stage: None,
        phase: Phase::Later,
        skippable: false,
        apply: |o, m| {
            if let Some(v) = &o.rank {
                m.pipeline.rank = m.pipeline.rank.overridden_by(v);
            }
        },
        skip: nothing,
        overridden: |o| o.rank.is_some(),
        part: Part::None,
        key: no_key,
    },
];

/// The step named `name`.
pub fn step(name: &str) -> Option<&'static StepDef> {
    STEPS.iter().find(|s| s.name == name)
}

/// The names of the steps a variant may skip, comma-separated (for messages).
pub fn skippable_names() -> String {
    STEPS
        .iter()
        .filter(|s| s.skippable)
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The stage tables a run can write, in order: `raw`, then one per step that
/// leaves one (`denominated`, …, `aggregated`).
pub fn stage_names() -> Vec<&'static str> {
    std::iter::once(stage::RAW)
        .chain(STEPS.iter().filter_map(|s| s.stage))
        .collect()
}

/// The cache key of each memoised phase, as the canonical JSON of every setting
/// up to and including it: the indicators and the tree, then each step's
/// [`StepDef::key`]. Equal keys promise equal settings.
pub fn cache_keys(manifest: &Manifest, framework: &Framework) -> [(Phase, String); 3] {
    let ids: Vec<&String> = manifest.indicators.iter().map(|i| &i.id).collect();
    let parents: Vec<Option<usize>> = framework.nodes.iter().map(|n| n.parent).collect();
    let mut text = json!([ids, parents]).to_string();
    let mut keys = [Phase::Prepare, Phase::Treat, Phase::Normalise].map(|p| (p, String::new()));
    for (phase, key) in &mut keys {
        for s in STEPS.iter().filter(|s| s.phase == *phase) {
            text.push('|');
            text.push_str(&(s.key)(manifest).to_string());
        }
        key.clone_from(&text);
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pipeline_key_is_a_step() {
        // The keys of `[pipeline]` as its schema lists them, in declaration order.
        let schema = schemars::schema_for!(crate::methodology::PipelineSpec).to_value();
        let keys: Vec<&str> = schema["properties"]
            .as_object()
            .expect("PipelineSpec has properties")
            .keys()
            .map(String::as_str)
            .collect();
        let mut names: Vec<&str> = STEPS.iter().map(|s| s.name).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        names.sort_unstable();
        assert_eq!(
            names, sorted,
            "every [pipeline] key needs an entry in STEPS, and no more"
        );
        // And a variant's `pipeline` table has the same keys.
        let schema = schemars::schema_for!(PipelineOverride).to_value();
        let mut over: Vec<&str> = schema["properties"]
            .as_object()
            .expect("PipelineOverride has properties")
            .keys()
            .map(String::as_str)
            .collect();
        over.sort_unstable();
        assert_eq!(over, sorted);
    }

    #[test]
    fn phases_never_go_back_and_stages_follow_the_steps() {
        assert!(STEPS.windows(2).all(|w| w[0].phase <= w[1].phase));
        assert_eq!(
            stage_names(),
            [
                "raw",
                "denominated",
                "imputed",
                "screened",
                "treated",
                "normalised",
                "aggregated"
            ]
        );
        assert_eq!(skippable_names(), "denominate, impute, screen, treat");
    }
}
