//! The AFL++ entry point: `fuzz TARGET`, one input per run from AFL++ (see
//! `tools/fuzz.sh`).

fn main() {
    let target = std::env::args().nth(1).unwrap_or_default();
    if !cityrank_fuzz::TARGETS.iter().any(|(n, _)| *n == target) {
        let names: Vec<&str> = cityrank_fuzz::TARGETS.iter().map(|(n, _)| *n).collect();
        eprintln!("usage: fuzz TARGET (one of: {})", names.join(", "));
        std::process::exit(2);
    }
    afl::fuzz!(|data: &[u8]| {
        cityrank_fuzz::run(&target, data);
    });
}
