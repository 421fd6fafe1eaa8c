//! Every document cityrank reads or writes that has a JSON Schema: the registry
//! behind `cityrank schema` and the test that the committed schemas under
//! `schemas/` match the types.

use cityrank_core::schema::DocumentKind;

/// Every document with a schema, in the order `cityrank schema --help` names them.
pub fn all() -> Vec<DocumentKind> {
    vec![
        DocumentKind::of::<crate::edition::Edition>(),
        DocumentKind::of::<crate::methodology::Manifest>(),
        DocumentKind::of::<crate::dataset::DatasetDescription>(),
        DocumentKind::of::<crate::results::Results>(),
        DocumentKind::of::<crate::compare::CompareReport>(),
        DocumentKind::of::<crate::explain::Explanation>(),
        DocumentKind::of::<crate::sensitivity::SensitivityReport>(),
        DocumentKind::of::<crate::analysis::Analysis>(),
        DocumentKind::of::<crate::datacheck::DataCheck>(),
        DocumentKind::of::<crate::diff::DiffReport>(),
        DocumentKind::of::<crate::experts::ExpertsReport>(),
    ]
}

/// The document named `name`.
pub fn named(name: &str) -> Option<DocumentKind> {
    all().into_iter().find(|d| d.name == name)
}

/// Every name, comma-separated (for messages).
pub fn names() -> String {
    all().iter().map(|d| d.name).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    /// Every registered schema compiles, and names are unique.
    #[test]
    fn every_schema_compiles() {
        let all = super::all();
        for d in &all {
            if let Err(e) = jsonschema::validator_for(&(d.schema)()) {
                panic!("{}: {e}", d.name);
            }
        }
        let mut names: Vec<&str> = all.iter().map(|d| d.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
    }
}
