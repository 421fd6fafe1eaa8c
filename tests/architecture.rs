//! The crates keep to their jobs (ARCHITECTURE.md): each `Cargo.toml` names only
//! what its job needs, so code that breaks an invariant does not compile. This
//! test guards the manifests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::root;

/// The names of `crate_dir`'s normal (not dev) dependencies.
fn dependencies(crate_dir: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(crate_dir).join("Cargo.toml")).unwrap();
    let manifest: toml::Table = text.parse().unwrap();
    manifest
        .get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn only_the_sandbox_links_a_webassembly_runtime() {
    for dir in [
        "host",
        "host/core",
        "host/analysis",
        "host/steps",
        "host/formula",
        "host/web",
        "fuzz",
    ] {
        let deps = dependencies(dir);
        for forbidden in ["wasmtime", "wit-component", "wasmparser", "cranelift-codegen"] {
            assert!(
                !deps.iter().any(|d| d == forbidden),
                "{dir}/Cargo.toml names {forbidden}"
            );
        }
    }
    assert!(dependencies("host/sandbox").iter().any(|d| d == "wasmtime"));
}

#[test]
fn the_libraries_have_no_terminal_and_no_command_line() {
    for dir in [
        "host/core",
        "host/analysis",
        "host/sandbox",
        "host/steps",
        "host/formula",
        "host/web",
        "fuzz",
    ] {
        let deps = dependencies(dir);
        for forbidden in ["clap", "indicatif", "mimalloc"] {
            assert!(
                !deps.iter().any(|d| d == forbidden),
                "{dir}/Cargo.toml names {forbidden}"
            );
        }
    }
}

#[test]
fn the_core_and_the_analyses_do_not_depend_on_the_sandbox() {
    for dir in ["host/core", "host/analysis"] {
        assert!(
            !dependencies(dir).iter().any(|d| d == "cityrank-sandbox"),
            "{dir} depends on cityrank-sandbox; take a `&dyn Loader` instead"
        );
    }
    assert!(!dependencies("host/core").iter().any(|d| d == "cityrank-analysis"));
}

/// The top-level modules `code` names through `crate::`: `crate::a::x`, and each
/// item of a group, `crate::{a, b::y}`, across lines.
fn crate_paths(code: &str) -> Vec<String> {
    let word = |s: &str| -> String { s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect() };
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + 7..];
        if let Some(group) = rest.strip_prefix('{') {
            // Up to the matching brace; each top-level item's first segment.
            let mut depth = 0usize;
            let mut start = 0;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        out.push(word(group[start..j].trim_start()));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(word(group[start..j].trim_start()));
                        start = j + 1;
                    }
                    _ => {}
                }
            }
        } else {
            out.push(word(rest));
        }
    }
    out.retain(|n| !n.is_empty() && n != "self");
    out
}

#[test]
fn grouped_imports_are_read() {
    assert_eq!(
        crate_paths("use crate::{a, b::{c, d},\n    e::f};\nlet x = crate::g::h();"),
        ["a", "b", "e", "g"]
    );
}

/// Each top-level module of `src` and the top-level modules its code (not its
/// comments or tests) names as `crate::<module>`.
fn module_graph(src: &std::path::Path) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(src, &mut files);
    let mut graph: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
    for f in files {
        let rel = f.strip_prefix(src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .into_owned();
        let top = first.trim_end_matches(".rs").to_string();
        let text = std::fs::read_to_string(&f).unwrap();
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let deps = graph.entry(top.clone()).or_default();
        for name in crate_paths(&code) {
            if name != top {
                deps.insert(name);
            }
        }
    }
    graph
}

#[test]
fn no_import_cycle_between_modules() {
    for src in [
        "host/core/src",
        "host/analysis/src",
        "host/sandbox/src",
        "host/src",
        "host/steps/src",
        "host/formula/src",
        "host/web/src",
        "fuzz/src",
    ] {
        let graph = module_graph(&root().join(src));
        // Depth-first search for a path back to the start.
        for start in graph.keys() {
            let mut stack = vec![(start.clone(), vec![start.clone()])];
            while let Some((node, path)) = stack.pop() {
                for next in graph.get(&node).into_iter().flatten() {
                    assert!(
                        next != start,
                        "{src}: import cycle {} -> {next}; move what both need into a module of its own",
                        path.join(" -> ")
                    );
                    if !path.contains(next) {
                        let mut p = path.clone();
                        p.push(next.clone());
                        stack.push((next.clone(), p));
                    }
                }
            }
        }
    }
}
