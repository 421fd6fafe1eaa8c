//! Helpers shared by the end-to-end tests.
#![allow(dead_code, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_path_buf()
}

/// A `cityrank` command with its own compile cache (shared by the tests of one
/// binary, so a component is compiled once per test binary).
pub fn cityrank(cache: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cityrank"));
    cmd.env("CITYRANK_CACHE_DIR", cache).current_dir(root());
    cmd
}

/// Runs a command and returns its output.
pub fn output(cmd: &mut Command) -> Output {
    cmd.output().expect("cityrank runs")
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
