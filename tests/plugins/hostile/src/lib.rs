//! A test fixture: a methodology whose `derive` misbehaves as its edition id says.
//!
//! - `well-behaved`: returns `x` unchanged;
//! - `loop`: loops forever (stopped by fuel);
//! - `oom`: allocates until the memory limit;
//! - `panic`: panics with a message;
//! - `stack-overflow`: recurses without end;
//! - `huge-output`: returns 4 million values per unit column (beyond an output limit);
//! - `extra-column`: returns a column the manifest does not declare;
//! - `error`: returns an error message;
//! - `huge-error`: returns a 100 MB error message with terminal escape sequences;
//! - `log-flood`: logs 10,000 messages of 10 KB each, then fails.

use cityrank_sdk::{Level, Methodology, Table, export_methodology, log};

struct Hostile;

/// Recurses without end (on purpose: the sandbox must stop it).
#[inline(never)]
#[allow(unconditional_recursion)]
fn recurse(n: u64) -> u64 {
    let local = std::hint::black_box([n; 64]);
    recurse(local[3] + 1) + local[7]
}

impl Methodology for Hostile {
    const MANIFEST: &'static str = include_str!("../methodology.toml");

    fn derive(edition: &str, input: Table) -> Result<Table, String> {
        let mut out = Table::like(&input);
        log(Level::Info, &format!("derive for `{edition}`"));
        match edition {
            "loop" => {
                let mut i: u64 = 0;
                loop {
                    i = std::hint::black_box(i.wrapping_add(1));
                }
            }
            "oom" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "panic" => panic!("deliberate panic in derive"),
            "stack-overflow" => {
                std::hint::black_box(recurse(0));
            }
            "huge-output" => {
                out.push("x", vec![0.5; 4_000_000]);
                return Ok(out);
            }
            "extra-column" => {
                out.push("x", input.number("x")?.to_vec());
                out.push("surprise", input.number("x")?.to_vec());
                return Ok(out);
            }
            "error" => return Err("the data of this edition are not usable".into()),
            "huge-error" => {
                let mut message = String::from("\u{1b}[2Jcleared the screen; ");
                message.push_str(&"x".repeat(100 << 20));
                return Err(message);
            }
            "log-flood" => {
                let line = "y".repeat(10 << 10);
                for _ in 0..10_000 {
                    log(Level::Info, &line);
                }
                return Err("flooded".into());
            }
            _ => {}
        }
        out.push("x", input.number("x")?.to_vec());
        Ok(out)
    }
}

export_methodology!(Hostile);
