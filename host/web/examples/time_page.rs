//! Times `Model::recompute` natively on a report page's model (for developers):
//! `cargo run --release -p cityrank-web --example time_page -- MODEL.json TABLES.bin`.
#![allow(clippy::unwrap_used, missing_docs)]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut m: cityrank_web::Model = serde_json::from_slice(&std::fs::read(&args[1]).unwrap()).unwrap();
    m.load_tables(&std::fs::read(&args[2]).unwrap()).unwrap();
    let s = m.nominal();
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let _ = m.recompute(&s).unwrap();
        println!("{:.2} ms", t.elapsed().as_secs_f64() * 1e3);
    }
}
