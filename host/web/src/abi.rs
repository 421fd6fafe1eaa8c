//! The module's interface to the page's script (wasm32 only).
//!
//! The page and the module share the module's memory. The script asks for a
//! buffer of `len` bytes (`cr_buffer`), writes UTF-8 text or bytes into it, and
//! calls a function that reads it; results are left in the module and read
//! through pointers and lengths. Every call returns `0` on success; otherwise the
//! error text is at `cr_text_ptr`/`cr_text_len`.
//!
//! - `cr_load(model_len, tables_len)`: the buffer holds the model's JSON followed
//!   by the tables' bytes ([`Model::load_tables`]); the model is checked and
//!   every normaliser's table computed ([`Session::prepare_all`]).
//! - `cr_recompute()`: the buffer holds a [`Scenario`] as JSON (recomputed by a
//!   [`Session`]: only the nodes it changes); afterwards
//!   `cr_scores_ptr(p)` points at node `p`'s scores (`units` doubles; the index at
//!   0), `cr_indicator_ptr(i)` at indicator `i`'s normalised values,
//!   `cr_ranks_ptr()` at a rank per unit (`u32`, 0 = unranked) and
//!   `cr_tiers_ptr()` at a tier per unit (`i32`, −1 = none).
//! - `cr_fragment()`, `cr_variant_toml(name_len)`: the buffer holds a scenario's
//!   JSON (then, for the variant, its name); the text is at `cr_text_ptr`.
//! - `cr_parse_fragment()`: the buffer holds a fragment; the scenario's JSON is
//!   at `cr_text_ptr`.
//!
//! The module is single-threaded (wasm32 without threads): its state lives in a
//! `thread_local`.
// `no_mangle` exports are what a script calls; they are the only reason for this
// allowance (no raw pointer is dereferenced: the script writes into a `Vec` the
// module owns, and reads what the module's `Vec`s hold).
#![allow(unsafe_code)]

use std::cell::RefCell;

use crate::{Model, Outcome, Scenario, Session};

#[derive(Default)]
struct State {
    buffer: Vec<u8>,
    session: Option<Session>,
    outcome: Option<Outcome>,
    ranks: Vec<u32>,
    tiers: Vec<i32>,
    text: String,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Runs `f` on the state; an error becomes the text and status 1.
fn with(f: impl FnOnce(&mut State) -> Result<(), String>) -> i32 {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        match f(&mut s) {
            Ok(()) => 0,
            Err(e) => {
                s.text = e;
                1
            }
        }
    })
}

fn model(s: &State) -> Result<&Model, String> {
    s.session
        .as_ref()
        .map(|s| &s.model)
        .ok_or_else(|| "no model loaded".to_string())
}

fn scenario(bytes: &[u8]) -> Result<Scenario, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("the scenario is not valid: {e}"))
}

/// A buffer of `len` bytes for the script to write into; its address.
#[unsafe(no_mangle)]
pub extern "C" fn cr_buffer(len: usize) -> *mut u8 {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.buffer.clear();
        s.buffer.resize(len, 0);
        s.buffer.as_mut_ptr()
    })
}

/// Loads the model (JSON, `model_len` bytes) and its tables (`tables_len` bytes) from the buffer.
#[unsafe(no_mangle)]
pub extern "C" fn cr_load(model_len: usize, tables_len: usize) -> i32 {
    with(|s| {
        if s.buffer.len() != model_len + tables_len {
            return Err("the buffer does not hold the model and its tables".into());
        }
        let mut m: Model = serde_json::from_slice(&s.buffer[..model_len])
            .map_err(|e| format!("the page's model is not valid: {e}"))?;
        m.load_tables(&s.buffer[model_len..])?;
        let mut session = Session::new(m)?;
        session.prepare_all()?;
        s.session = Some(session);
        s.buffer = Vec::new();
        Ok(())
    })
}

/// Recomputes the scenario in the buffer.
#[unsafe(no_mangle)]
pub extern "C" fn cr_recompute() -> i32 {
    with(|s| {
        let sc = scenario(&s.buffer)?;
        let out = s
            .session
            .as_mut()
            .ok_or_else(|| "no model loaded".to_string())?
            .recompute(&sc)?;
        s.ranks = out.ranks.iter().map(|r| r.unwrap_or(0)).collect();
        s.tiers = out
            .tiers
            .iter()
            .map(|t| t.map_or(-1, |t| i32::try_from(t).unwrap_or(i32::MAX)))
            .collect();
        s.outcome = Some(out);
        Ok(())
    })
}

/// Address of node `p`'s scores after `cr_recompute` (null when there are none).
#[unsafe(no_mangle)]
pub extern "C" fn cr_scores_ptr(p: usize) -> *const f64 {
    STATE.with(|s| {
        let s = s.borrow();
        s.outcome
            .as_ref()
            .and_then(|o| o.scores.get(p))
            .filter(|c| !c.is_empty())
            .map_or(std::ptr::null(), |c| c.as_ptr())
    })
}

/// Address of indicator `i`'s normalised values under the last scenario
/// (`units` doubles; null before the first `cr_recompute`).
#[unsafe(no_mangle)]
pub extern "C" fn cr_indicator_ptr(i: usize) -> *const f64 {
    STATE.with(|s| {
        let s = s.borrow();
        s.session
            .as_ref()
            .map(|session| session.indicator(i))
            .filter(|c| !c.is_empty())
            .map_or(std::ptr::null(), <[f64]>::as_ptr)
    })
}

/// Address of the ranks after `cr_recompute`.
#[unsafe(no_mangle)]
pub extern "C" fn cr_ranks_ptr() -> *const u32 {
    STATE.with(|s| s.borrow().ranks.as_ptr())
}

/// Address of the tiers after `cr_recompute`.
#[unsafe(no_mangle)]
pub extern "C" fn cr_tiers_ptr() -> *const i32 {
    STATE.with(|s| s.borrow().tiers.as_ptr())
}

/// The URL fragment of the scenario in the buffer.
#[unsafe(no_mangle)]
pub extern "C" fn cr_fragment() -> i32 {
    with(|s| {
        let sc = scenario(&s.buffer)?;
        s.text = model(s)?.fragment(&sc);
        Ok(())
    })
}

/// The scenario (as JSON) of the URL fragment in the buffer.
#[unsafe(no_mangle)]
pub extern "C" fn cr_parse_fragment() -> i32 {
    with(|s| {
        let text = std::str::from_utf8(&s.buffer).map_err(|_| "the fragment is not UTF-8".to_string())?;
        let sc = model(s)?.parse_fragment(text)?;
        s.text = serde_json::to_string(&sc).map_err(|e| e.to_string())?;
        Ok(())
    })
}

/// The `[variants.NAME]` table of the scenario in the buffer (its JSON, then the
/// name's `name_len` bytes).
#[unsafe(no_mangle)]
pub extern "C" fn cr_variant_toml(name_len: usize) -> i32 {
    with(|s| {
        let split = s
            .buffer
            .len()
            .checked_sub(name_len)
            .ok_or_else(|| "the buffer is shorter than the name".to_string())?;
        let sc = scenario(&s.buffer[..split])?;
        let name = std::str::from_utf8(&s.buffer[split..]).map_err(|_| "the name is not UTF-8".to_string())?;
        s.text = model(s)?.variant_toml(&sc, name)?;
        Ok(())
    })
}

/// Address of the text left by the last call.
#[unsafe(no_mangle)]
pub extern "C" fn cr_text_ptr() -> *const u8 {
    STATE.with(|s| s.borrow().text.as_ptr())
}

/// Length in bytes of the text left by the last call.
#[unsafe(no_mangle)]
pub extern "C" fn cr_text_len() -> usize {
    STATE.with(|s| s.borrow().text.len())
}
