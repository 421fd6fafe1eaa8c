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
//! - `log-flood`: logs 10,000 messages of 10 KB each, then fails;
//! - `one-block`: asks for 1 GiB at once;
//! - `small-allocations`: allocates 64-byte blocks until the memory limit;
//! - `deep-recursion`: recurses 1,000,000 calls deep (a finite depth, beyond the stack);
//! - `short-column`: returns one value fewer than there are units;
//! - `duplicate-column`: returns `x` twice;
//! - `missing-column`: returns no column;
//! - `reordered-units`: returns the units in reverse order;
//! - `renamed-unit`: returns another id for the second unit;
//! - `infinity`: returns +∞ for the first unit;
//! - `nan-payload`: returns, for the first unit, a NaN with a payload (bits
//!   `0x7ff8_dead_beef_0001`; the host must treat it as any missing value);
//! - `nan`: returns, for the first unit, the canonical NaN (for comparison);
//! - `control-id`: returns, besides `x`, a column whose id holds terminal escape
//!   sequences and is 1 MB long.

use cityrank_sdk::{Level, Methodology, Table, export_methodology, log};

struct Hostile;

/// Recurses `n` calls deep.
#[inline(never)]
fn recurse_to(n: u64) -> u64 {
    let local = std::hint::black_box([n; 16]);
    if n == 0 { 0 } else { recurse_to(local[3] - 1) + local[7] }
}

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
            "one-block" => {
                let block = std::hint::black_box(vec![1u8; 1 << 30]);
                out.push("x", vec![f64::from(block[12345]); input.units.len()]);
                return Ok(out);
            }
            "small-allocations" => {
                let mut hoard: Vec<Box<[u8; 64]>> = Vec::new();
                loop {
                    hoard.push(Box::new([1u8; 64]));
                    std::hint::black_box(&hoard);
                }
            }
            "deep-recursion" => {
                std::hint::black_box(recurse_to(1_000_000));
            }
            "short-column" => {
                let x = input.number("x")?;
                out.push("x", x[1..].to_vec());
                return Ok(out);
            }
            "duplicate-column" => {
                out.push("x", input.number("x")?.to_vec());
                out.push("x", input.number("x")?.to_vec());
                return Ok(out);
            }
            "missing-column" => return Ok(out),
            "reordered-units" => {
                let mut x = input.number("x")?.to_vec();
                x.reverse();
                out.units.reverse();
                out.push("x", x);
                return Ok(out);
            }
            "renamed-unit" => {
                out.units[1] = "someone-else".into();
                out.push("x", input.number("x")?.to_vec());
                return Ok(out);
            }
            "infinity" | "nan-payload" | "nan" => {
                let mut x = input.number("x")?.to_vec();
                x[0] = match edition {
                    "infinity" => f64::INFINITY,
                    "nan-payload" => f64::from_bits(0x7ff8_dead_beef_0001),
                    _ => f64::NAN,
                };
                out.push("x", x);
                return Ok(out);
            }
            "control-id" => {
                let mut id = String::from("\u{1b}[2J\u{1b}[H");
                id.push_str(&"z".repeat(1 << 20));
                out.push("x", input.number("x")?.to_vec());
                out.push(&id, input.number("x")?.to_vec());
                return Ok(out);
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
