//! The short run of the fuzzing harnesses that `cargo test` makes: every
//! committed input of every target (the seeds, and the inputs fuzzing found to
//! fail, kept as regressions) runs through its harness without a panic.

#[test]
fn every_committed_input_runs_through_its_harness() {
    let mut total = 0;
    for (name, harness) in cityrank_fuzz::TARGETS {
        let inputs = cityrank_fuzz::corpus(name);
        assert!(!inputs.is_empty(), "fuzz/corpus/{name}/ has no seed");
        for (path, bytes) in inputs {
            let outcome = std::panic::catch_unwind(|| harness(&bytes));
            assert!(outcome.is_ok(), "{name}: {} panicked", path.display());
            total += 1;
        }
    }
    assert!(total >= cityrank_fuzz::TARGETS.len());
}
