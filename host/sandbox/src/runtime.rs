//! The sandbox: the only module that touches wasmtime.
//!
//! One [`Sandbox`] owns the engine and every engine-level decision: fuel metering
//! (a deterministic CPU budget), NaN canonicalisation, no relaxed SIMD, and no WASI
//! at all — the only function a plugin can import is the contract's `log`. Limits
//! belong to each call's `Store`: every call runs in a fresh instance (cheap from a
//! pre-instantiated component), so a trapped or misbehaving plugin cannot affect
//! the next call. Compiled components are cached on disk, keyed by the component's
//! SHA-256 and the engine's compatibility hash.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, ResourceLimiter, Store, Trap};

/// Bindings of every released contract version, each generated from its own WIT
/// (`schemas/wit/since_vX.Y.Z/`). The newest version's types are the host's own;
/// older versions are adapted to them (see [`adapt_v0_1`]).
mod v0_1 {
    wasmtime::component::bindgen!({
        path: "../../schemas/wit/since_v0.1.0",
        world: "methodology",
    });
}

mod v0_2 {
    wasmtime::component::bindgen!({
        path: "../../schemas/wit/since_v0.2.0",
        world: "methodology",
    });
}

use v0_2::cityrank::methodology::host::Level;
use v0_2::exports::cityrank::methodology::plugin::{self as wit, Param, ParamValue, StepRequest};

pub use cityrank_core::plugin::{
    CONTRACT_PACKAGE, CONTRACT_VERSION, CONTRACT_VERSIONS, CallReport, Column, Limits, LogMessage, Plugin, StepCall,
    Table, TextColumn,
};

/// A contract version a component was built against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Contract {
    V0_1,
    V0_2,
}

impl Contract {
    /// The version supported for `version` (semver-compatible: same major, and for
    /// 0.x the same minor), if any.
    fn for_version(version: &str) -> Option<Contract> {
        let v = semver::Version::parse(version).ok()?;
        match (v.major, v.minor) {
            (0, 1) => Some(Contract::V0_1),
            (0, 2) => Some(Contract::V0_2),
            _ => None,
        }
    }
}

/// Most table elements an instance may have.
const MAX_TABLE_ELEMENTS: usize = 100_000;
/// Most log messages kept per call (the rest are counted).
const MAX_LOG_MESSAGES: usize = 200;
/// Most bytes of one log message kept.
const MAX_LOG_MESSAGE_BYTES: usize = 4096;
/// Most bytes of log messages kept per call, all messages together (what a plugin
/// can make the host print: at most 64 KiB, whatever it writes).
const MAX_LOG_BYTES: usize = 64 << 10;
/// Most bytes of a plugin's error message shown.
const MAX_ERROR_BYTES: usize = 4096;

/// What a plugin wrote, made fit for a terminal and a results file: at most `max`
/// bytes (cut on a character boundary, saying how many bytes were cut), and
/// control characters other than line breaks and tabs written as `\u{…}` escapes,
/// so that a plugin can neither flood the screen nor move the cursor, clear the
/// screen or hide text with escape sequences.
pub fn bounded(text: &str, max: usize) -> String {
    let mut cut = text.len().min(max);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut out = String::with_capacity(cut + 32);
    for c in text[..cut].chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    if cut < text.len() {
        out.push_str(&format!(" […] ({} more bytes cut)", text.len() - cut));
    }
    out
}

/// The error a plugin gets when it asks for more memory than its limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryLimitExceeded {
    /// The limit, in bytes.
    pub limit: usize,
    /// What the plugin asked for, in bytes.
    pub requested: usize,
}

impl fmt::Display for MemoryLimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "memory limit exceeded: the plugin asked to grow its memory to {} but the limit is {} \
             (raise [limits] memory_mib in the edition or pass --memory-mib)",
            mib(self.requested),
            mib(self.limit)
        )
    }
}

impl std::error::Error for MemoryLimitExceeded {}

fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
}

struct HostState {
    memory_limit: usize,
    log: Vec<LogMessage>,
    dropped_log: usize,
    /// Bytes of the messages in `log`.
    log_bytes: usize,
}

impl ResourceLimiter for HostState {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
            return Err(MemoryLimitExceeded {
                limit: self.memory_limit,
                requested: desired,
            }
            .into());
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > MAX_TABLE_ELEMENTS {
            wasmtime::bail!(
                "table limit exceeded: the plugin asked for {desired} table elements, the limit is {MAX_TABLE_ELEMENTS}"
            );
        }
        Ok(true)
    }
}

impl HostState {
    fn log(&mut self, level: &'static str, message: String) {
        if self.log.len() >= MAX_LOG_MESSAGES {
            self.dropped_log += 1;
            return;
        }
        let message = bounded(&message, MAX_LOG_MESSAGE_BYTES);
        if self.log_bytes + message.len() > MAX_LOG_BYTES {
            self.dropped_log += 1;
            return;
        }
        self.log_bytes += message.len();
        self.log.push(LogMessage { level, message });
    }
}

impl v0_2::cityrank::methodology::host::Host for HostState {
    fn log(&mut self, level: Level, message: String) {
        let level = match level {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        };
        HostState::log(self, level, message);
    }
}

impl v0_1::cityrank::methodology::host::Host for HostState {
    fn log(&mut self, level: v0_1::cityrank::methodology::host::Level, message: String) {
        use v0_1::cityrank::methodology::host::Level as L;
        let level = match level {
            L::Debug => "debug",
            L::Info => "info",
            L::Warn => "warn",
            L::Error => "error",
        };
        HostState::log(self, level, message);
    }
}

/// The wasmtime engine, configured once for every plugin, and the compile cache.
/// The engine is made when the first plugin is loaded: a run of a declarative
/// methodology (a manifest without code) never makes one, and needs none of its
/// memory.
pub struct Sandbox {
    runtime: std::sync::OnceLock<Runtime>,
    cache_dir: Option<PathBuf>,
    /// What the user should know about the sandbox's set-up (e.g. a cache
    /// directory others can write to, and so not used).
    notices: Vec<String>,
}

/// The engine and the linker of the host interface.
struct Runtime {
    engine: Engine,
    linker: Linker<HostState>,
}

impl Sandbox {
    /// A sandbox caching compiled components in `cache_dir` (`None`: no cache).
    /// A directory that another user owns or others can write to is not used
    /// (compiled code is loaded without being validated again); [`Sandbox::notices`]
    /// says so.
    ///
    /// # Errors
    /// None today (the engine is configured when first needed); kept for callers
    /// that handle a failing set-up.
    pub fn new(cache_dir: Option<PathBuf>) -> Result<Sandbox> {
        let mut notices = Vec::new();
        let cache_dir = cache_dir.filter(|dir| match crate::cache::untrusted_dir(dir) {
            None => true,
            Some(why) => {
                notices.push(format!("{why}; compiled plugins are not cached"));
                false
            }
        });
        Ok(Sandbox {
            runtime: std::sync::OnceLock::new(),
            cache_dir,
            notices,
        })
    }

    /// What the user should be told about the sandbox's set-up (one line each),
    /// e.g. that the compile cache is not used and why.
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    /// The engine and linker, made on first use.
    fn runtime(&self) -> Result<&Runtime> {
        if let Some(r) = self.runtime.get() {
            return Ok(r);
        }
        let mut config = Config::new();
        config
            .consume_fuel(true)
            .cranelift_nan_canonicalization(true)
            .wasm_relaxed_simd(false)
            .wasm_component_model(true)
            .max_wasm_stack(1 << 20);
        // For profiling a plugin: with `CITYRANK_PERFMAP` set, compiled plugin code is
        // listed in /tmp/perf-<pid>.map, so `perf report` names the plugin's functions.
        // It changes nothing in the generated code.
        if std::env::var_os("CITYRANK_PERFMAP").is_some() {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = Engine::new(&config).map_err(|e| anyhow!("cannot configure the WebAssembly engine: {e:#}"))?;
        // One linker for every contract version: their import names differ by version.
        let mut linker = Linker::new(&engine);
        v0_1::Methodology::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)
            .and_then(|()| v0_2::Methodology::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s))
            .map_err(|e| anyhow!("cannot link the host interface: {e:#}"))?;
        Ok(self.runtime.get_or_init(|| Runtime { engine, linker }))
    }

    /// The default cache directory: `$CITYRANK_CACHE_DIR`, else `$XDG_CACHE_HOME/cityrank`,
    /// else `~/.cache/cityrank`.
    pub fn default_cache_dir() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("CITYRANK_CACHE_DIR") {
            return Some(PathBuf::from(dir));
        }
        if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
            return Some(PathBuf::from(dir).join("cityrank"));
        }
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("cityrank"))
    }

    fn engine_key(engine: &Engine) -> String {
        let mut h = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        format!("{:016x}", h.finish())
    }

    /// Loads the component at `path`: checks it is a component, compiles it (or
    /// loads it from the cache), refuses any import other than the contract's `log`
    /// and checks it exports the contract's `plugin` interface.
    pub fn load_component(&self, path: &Path) -> Result<WasmPlugin> {
        let label = path
            .file_name()
            .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        // An enormous file is refused before it is read.
        if let Ok(meta) = std::fs::metadata(path)
            && meta.len() > MAX_COMPONENT_BYTES as u64
        {
            bail!("plugin `{label}` is refused: {}", too_large(meta.len()));
        }
        let bytes = cityrank_core::fsutil::read_file(path)
            .with_context(|| format!("cannot read plugin `{}`", path.display()))?;
        self.load_bytes(&bytes, &label)
    }

    /// Like [`Sandbox::load_component`], from bytes; `label` names the plugin in errors.
    pub fn load_bytes(&self, bytes: &[u8], label: &str) -> Result<WasmPlugin> {
        check_header(bytes)
            .and_then(|()| check_size(bytes))
            .map_err(|e| anyhow!("plugin `{label}` is refused: {e}"))?;
        let Runtime { engine, linker } = self.runtime()?;
        let sha256 = cityrank_core::digest::sha256_hex(bytes);
        let (component, cached) = self
            .compile(bytes, &sha256)
            .map_err(|e| anyhow!("plugin `{label}` is refused: it is not a valid WebAssembly component: {e:#}"))?;
        let ty = component.component_type();
        // Capabilities first: anything but the contract's `host` interface is refused,
        // whatever the component exports.
        for (name, _) in ty.imports(engine) {
            if !name.starts_with(&format!("{CONTRACT_PACKAGE}/host@")) {
                let hint = if name.starts_with("wasi:") {
                    " (WASI gives a program files, clocks, randomness and more; build a Rust plugin for \
                     wasm32-unknown-unknown with the cityrank SDK, and Python or JavaScript plugins with `cityrank \
                     build`, which stubs WASI out)"
                } else {
                    ""
                };
                bail!(
                    "plugin `{label}` is refused: it imports `{name}`, but plugins get no capabilities; \
                     the only import allowed is the contract's `{CONTRACT_PACKAGE}/host`{hint}"
                );
            }
        }
        // The contract version: from the name of the `plugin` export.
        let exports: Vec<String> = ty.exports(engine).map(|(n, _)| n.to_string()).collect();
        let Some(version) = exports
            .iter()
            .find_map(|e| e.strip_prefix(&format!("{CONTRACT_PACKAGE}/plugin@")))
            .map(str::to_string)
        else {
            bail!(
                "plugin `{label}` is refused: it does not export `{CONTRACT_PACKAGE}/plugin` (its exports: {}); \
                 build it with a cityrank SDK (`cityrank new DIR --lang rust|python|js` starts one)",
                if exports.is_empty() {
                    "none".to_string()
                } else {
                    exports.join(", ")
                }
            );
        };
        let Some(contract) = Contract::for_version(&version) else {
            bail!(
                "plugin `{label}` is refused: it implements contract version {version} (`{CONTRACT_PACKAGE}/plugin@{version}`), \
                 but this host supports versions {} (and their 0.x.y updates); {}",
                CONTRACT_VERSIONS.join(", "),
                if semver::Version::parse(&version).is_ok_and(|v| v > semver::Version::new(0, 2, 0)) {
                    "update cityrank to run it"
                } else {
                    "rebuild it with a current SDK"
                }
            );
        };
        let allowed = format!("{CONTRACT_PACKAGE}/host@{version}");
        if let Some((name, _)) = ty.imports(engine).find(|(n, _)| *n != allowed) {
            bail!(
                "plugin `{label}` is refused: it imports `{name}` but exports `{CONTRACT_PACKAGE}/plugin@{version}`; \
                 a component's imports and exports must name the same contract version"
            );
        }
        let pre = linker.instantiate_pre(&component).and_then(|pre| {
            Ok(match contract {
                Contract::V0_1 => Pre::V0_1(v0_1::MethodologyPre::new(pre)?),
                Contract::V0_2 => Pre::V0_2(v0_2::MethodologyPre::new(pre)?),
            })
        });
        let pre = pre.map_err(|e| anyhow!("plugin `{label}` does not match contract {version}: {e:#}"))?;
        Ok(WasmPlugin {
            label: label.to_string(),
            sha256,
            size: bytes.len(),
            cached,
            version,
            pre,
        })
    }

    fn compile(&self, bytes: &[u8], sha256: &str) -> Result<(Component, bool)> {
        let engine = &self.runtime()?.engine;
        let cache_file = self
            .cache_dir
            .as_ref()
            .map(|d| d.join(format!("{sha256}-{}.cwasm", Sandbox::engine_key(engine))));
        if let Some(file) = cache_file.as_ref().filter(|f| f.exists()) {
            // An entry is used only when this user wrote it and it is whole
            // (`cache::read`); otherwise it is recompiled and rewritten.
            if let Ok(native) = crate::cache::read(file) {
                // SAFETY-REASON: `deserialize` trusts that the bytes are a component
                // serialised by this engine configuration. They are: `cache::read`
                // has checked (on Unix) that the entry, opened without following a
                // link, belongs to this user and that no one else can write it or
                // its directory, and (everywhere) that its name and content match
                // the checksum written with it from `Component::serialize`; the name
                // holds the source's SHA-256 and the engine's compatibility hash, and
                // wasmtime itself checks the engine version and configuration in
                // the header.
                #[allow(unsafe_code)]
                let loaded = unsafe { Component::deserialize(engine, &native) };
                if let Ok(component) = loaded {
                    return Ok((component, true));
                }
            }
        }
        let component = Component::new(engine, bytes)?;
        if let Some(file) = &cache_file {
            // The cache is an optimisation: failing to write it is not an error.
            if let Ok(serialized) = component.serialize() {
                let _ = crate::cache::write(file, &serialized);
            }
        }
        Ok((component, false))
    }
}

/// Most bytes of a component. A Python methodology's component (the interpreter
/// and its library) is about 18 MiB, a JavaScript one 2 MiB, a Rust one 0.1 MiB.
const MAX_COMPONENT_BYTES: usize = 64 << 20;
/// Most functions in a component's core modules, counted before anything is
/// compiled: compiling to native code costs time in proportion to the code, and
/// no fuel bounds it. The Python runtime holds about 13,000.
const MAX_FUNCTIONS: u64 = 200_000;

/// Why a component of `bytes` is refused.
fn too_large(bytes: u64) -> String {
    format!(
        "it is {:.1} MiB; the limit is {} MiB (a Python methodology's component is about 18 MiB)",
        bytes as f64 / f64::from(1u32 << 20),
        MAX_COMPONENT_BYTES >> 20
    )
}

/// Refuses a component whose compilation would be expensive: above
/// [`MAX_COMPONENT_BYTES`], or with more than [`MAX_FUNCTIONS`] functions in its
/// core modules (nested ones included). A component that does not parse is left
/// to the compiler, which says why.
fn check_size(bytes: &[u8]) -> Result<()> {
    if bytes.len() > MAX_COMPONENT_BYTES {
        bail!("{}", too_large(bytes.len() as u64));
    }
    let mut functions: u64 = 0;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        match payload {
            Ok(wasmparser::Payload::CodeSectionStart { count, .. }) => functions += u64::from(count),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    if functions > MAX_FUNCTIONS {
        bail!(
            "it holds {functions} functions; the limit is {MAX_FUNCTIONS} (compiling them would take long; a Python \
             methodology's component holds about 13,000)"
        );
    }
    Ok(())
}

/// Checks the 8-byte header: WebAssembly, and a component rather than a core module.
fn check_header(bytes: &[u8]) -> Result<()> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        bail!("it is not a WebAssembly file (no `\\0asm` header)");
    }
    match (bytes[4..6] == [1, 0], bytes[6..8] == [0, 0]) {
        (true, true) => bail!(
            "it is a core WebAssembly module, not a component; turn it into one with `cityrank build` \
             (or wit-component)"
        ),
        (_, false) => Ok(()),
        (false, true) => bail!("unknown WebAssembly module version"),
    }
}

/// A component pre-instantiated against the bindings of its contract version.
enum Pre {
    V0_1(v0_1::MethodologyPre<HostState>),
    V0_2(v0_2::MethodologyPre<HostState>),
}

/// A loaded, pre-instantiated methodology component. Each call instantiates it
/// afresh in its own `Store` with its own limits.
pub struct WasmPlugin {
    label: String,
    sha256: String,
    size: usize,
    cached: bool,
    version: String,
    pre: Pre,
}

impl Plugin for WasmPlugin {
    /// Size of the component in bytes.
    fn size(&self) -> usize {
        self.size
    }

    /// Name used in errors (the component's file name).
    fn label(&self) -> &str {
        &self.label
    }

    /// SHA-256 of the component's bytes.
    fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Whether the compiled component came from the cache.
    fn was_cached(&self) -> bool {
        self.cached
    }

    /// The contract version the component was built against (e.g. `0.1.0`).
    fn contract_version(&self) -> &str {
        &self.version
    }

    /// Calls `manifest`.
    fn manifest(&self, limits: &Limits) -> Result<(String, CallReport)> {
        match &self.pre {
            Pre::V0_1(pre) => self.call(
                limits,
                "manifest",
                |s| pre.instantiate(s),
                |i, s| i.cityrank_methodology_plugin().call_manifest(s).map(Ok),
                |m| m.len(),
            ),
            Pre::V0_2(pre) => self.call(
                limits,
                "manifest",
                |s| pre.instantiate(s),
                |i, s| i.cityrank_methodology_plugin().call_manifest(s).map(Ok),
                |m| m.len(),
            ),
        }
    }

    /// Calls `derive` with the raw variables of an edition's dataset.
    fn derive(&self, limits: &Limits, edition: &str, input: Table) -> Result<(Table, CallReport)> {
        match &self.pre {
            Pre::V0_1(pre) => {
                let input = adapt_v0_1::table_to(input);
                self.call(
                    limits,
                    "derive",
                    |s| pre.instantiate(s),
                    |i, s| {
                        i.cityrank_methodology_plugin()
                            .call_derive(s, edition, &input)
                            .map(|r| r.map(adapt_v0_1::table_from))
                    },
                    table_size,
                )
            }
            Pre::V0_2(pre) => self.call(
                limits,
                "derive",
                |s| pre.instantiate(s),
                |i, s| {
                    i.cityrank_methodology_plugin()
                        .call_derive(s, edition, &to_wit(input))
                        .map(|r| r.map(from_wit))
                },
                table_size,
            ),
        }
    }

    /// Calls `run-step`.
    fn run_step(&self, limits: &Limits, call: StepCall<'_>) -> Result<(Table, CallReport)> {
        match &self.pre {
            Pre::V0_1(pre) => {
                let request = adapt_v0_1::request_to(call)?;
                self.call(
                    limits,
                    "run-step",
                    |s| pre.instantiate(s),
                    |i, s| {
                        i.cityrank_methodology_plugin()
                            .call_run_step(s, &request)
                            .map(|r| r.map(adapt_v0_1::table_from))
                    },
                    table_size,
                )
            }
            Pre::V0_2(pre) => {
                let request = StepRequest {
                    step: call.step.to_string(),
                    method: call.method.to_string(),
                    params: typed_params(call.params),
                    node: call.node.to_string(),
                    data: to_wit(call.data),
                };
                self.call(
                    limits,
                    "run-step",
                    |s| pre.instantiate(s),
                    |i, s| {
                        i.cityrank_methodology_plugin()
                            .call_run_step(s, &request)
                            .map(|r| r.map(from_wit))
                    },
                    table_size,
                )
            }
        }
    }
}

impl WasmPlugin {
    fn call<I, R>(
        &self,
        limits: &Limits,
        func: &str,
        instantiate: impl FnOnce(&mut Store<HostState>) -> wasmtime::Result<I>,
        f: impl FnOnce(&I, &mut Store<HostState>) -> wasmtime::Result<Result<R, String>>,
        size: impl FnOnce(&R) -> usize,
    ) -> Result<(R, CallReport)> {
        let engine = match &self.pre {
            Pre::V0_1(pre) => pre.engine(),
            Pre::V0_2(pre) => pre.engine(),
        };
        let mut store = Store::new(
            engine,
            HostState {
                memory_limit: limits.memory_bytes,
                log: Vec::new(),
                dropped_log: 0,
                log_bytes: 0,
            },
        );
        store.limiter(|s| s as &mut dyn ResourceLimiter);
        store
            .set_fuel(limits.fuel)
            .map_err(|e| anyhow!("cannot set the fuel budget: {e:#}"))?;
        let outcome = instantiate(&mut store).and_then(|instance| f(&instance, &mut store));
        let fuel = limits.fuel - store.get_fuel().unwrap_or(0);
        let mut state = store.into_data();
        if state.dropped_log > 0 {
            // Said where the log is read: at its end.
            state.log.push(LogMessage {
                level: "warn",
                message: format!(
                    "{} more messages not kept (at most {MAX_LOG_MESSAGES} messages and {} KiB per call)",
                    state.dropped_log,
                    MAX_LOG_BYTES >> 10
                ),
            });
        }
        let report = CallReport {
            fuel,
            log: state.log,
            dropped_log: state.dropped_log,
        };
        let who = format!("plugin `{}`, function `{func}`", self.label);
        match outcome {
            Ok(Ok(value)) => {
                let bytes = size(&value);
                if bytes > limits.output_bytes {
                    bail!(
                        "{who}: returned {} of data, above the output limit of {} \
                         (raise [limits] output_mib in the edition or pass --output-mib)",
                        mib(bytes),
                        mib(limits.output_bytes)
                    );
                }
                Ok((value, report))
            }
            Ok(Err(message)) => bail!(
                "{who}: the plugin reported an error: {}{}",
                bounded(&message, MAX_ERROR_BYTES),
                last_words(&report)
            ),
            Err(e) => Err(anyhow!("{who}: {}", describe_trap(&e, limits, &report))),
        }
    }
}

/// A step's parameters as contract 0.2's typed values, sorted by name: whole
/// numbers as `integer`, other numbers as `number`, lists of numbers or of texts as
/// such, anything else (tables, mixed lists, null) as JSON text.
pub fn typed_params(params: &cityrank_core::methodology::PluginParams) -> Vec<Param> {
    use serde_json::Value;
    params
        .iter()
        .map(|(name, v)| {
            let value = match v {
                Value::Bool(b) => ParamValue::Flag(*b),
                Value::Number(n) => match n.as_i64() {
                    Some(i) => ParamValue::Integer(i),
                    None => ParamValue::Number(n.as_f64().unwrap_or(f64::NAN)),
                },
                Value::String(t) => ParamValue::Text(t.clone()),
                Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_number) => {
                    ParamValue::Numbers(items.iter().filter_map(Value::as_f64).collect())
                }
                Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_string) => {
                    ParamValue::Texts(items.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                }
                other => ParamValue::Json(other.to_string()),
            };
            Param {
                name: name.clone(),
                value,
            }
        })
        .collect()
}

/// A host table as the newest contract's (moved, no copy of the values).
fn to_wit(t: Table) -> wit::Table {
    wit::Table {
        units: t.units,
        numbers: t
            .numbers
            .into_iter()
            .map(|c| wit::Column {
                id: c.id,
                values: c.values,
            })
            .collect(),
        texts: t
            .texts
            .into_iter()
            .map(|c| wit::TextColumn {
                id: c.id,
                values: c.values,
            })
            .collect(),
    }
}

/// A table returned under the newest contract as the host's (moved).
fn from_wit(t: wit::Table) -> Table {
    Table {
        units: t.units,
        numbers: t
            .numbers
            .into_iter()
            .map(|c| Column {
                id: c.id,
                values: c.values,
            })
            .collect(),
        texts: t
            .texts
            .into_iter()
            .map(|c| TextColumn {
                id: c.id,
                values: c.values,
            })
            .collect(),
    }
}

/// Contract 0.1.0 in the host's (0.2) terms: the same tables; a step's parameters
/// as one JSON object.
mod adapt_v0_1 {
    use super::{StepCall, Table, v0_1};
    use anyhow::{Context, Result};
    use v0_1::exports::cityrank::methodology::plugin as old;

    /// A host table as 0.1's (the same fields, moved).
    pub fn table_to(t: Table) -> old::Table {
        old::Table {
            units: t.units,
            numbers: t
                .numbers
                .into_iter()
                .map(|c| old::Column {
                    id: c.id,
                    values: c.values,
                })
                .collect(),
            texts: t
                .texts
                .into_iter()
                .map(|c| old::TextColumn {
                    id: c.id,
                    values: c.values,
                })
                .collect(),
        }
    }

    /// A 0.1 table as the host's (moved, no copy of the values).
    pub fn table_from(t: old::Table) -> Table {
        Table {
            units: t.units,
            numbers: t
                .numbers
                .into_iter()
                .map(|c| super::Column {
                    id: c.id,
                    values: c.values,
                })
                .collect(),
            texts: t
                .texts
                .into_iter()
                .map(|c| super::TextColumn {
                    id: c.id,
                    values: c.values,
                })
                .collect(),
        }
    }

    /// A step call as 0.1's request: the parameters as one JSON object, as 0.1 plugins read them.
    pub fn request_to(call: StepCall<'_>) -> Result<old::StepRequest> {
        Ok(old::StepRequest {
            step: call.step.to_string(),
            method: call.method.to_string(),
            params: serde_json::to_string(call.params).context("cannot encode the step's parameters")?,
            node: call.node.to_string(),
            data: table_to(call.data),
        })
    }
}

/// One sentence for a failed call: the cause, and the plugin's own last words.
fn describe_trap(e: &wasmtime::Error, limits: &Limits, report: &CallReport) -> String {
    let panic = report
        .log
        .iter()
        .rev()
        .find(|m| m.level == "error" && m.message.starts_with("panic"));
    let cause = if let Some(limit) = e.downcast_ref::<MemoryLimitExceeded>() {
        limit.to_string()
    } else if let Some(trap) = e.downcast_ref::<Trap>() {
        match trap {
            Trap::OutOfFuel => format!(
                "ran out of fuel after {} units (the CPU budget; raise [limits] fuel in the edition or pass --fuel)",
                limits.fuel
            ),
            Trap::StackOverflow => "stack overflow (infinite or too deep recursion)".to_string(),
            // Rust and C guests keep their stack in linear memory, below the data:
            // running off its end is an out-of-bounds access, not a wasm stack overflow.
            Trap::MemoryOutOfBounds => "out-of-bounds memory access (in a plugin built with the SDK this is \
                                        usually a stack overflow: infinite or too deep recursion)"
                .to_string(),
            Trap::UnreachableCodeReached if panic.is_some() => "the plugin panicked".to_string(),
            Trap::UnreachableCodeReached => match capability_asked(e) {
                Some(what) => format!(
                    "stopped: it asked for {what}, which the sandbox does not give (plugins get no capabilities: no \
                     clock, files, network, environment or terminal); compute from the data alone, and pass dates \
                     or other values in as dataset variables"
                ),
                None => format!(
                    "trapped: {trap} (in a Python or JavaScript plugin this is usually a call the sandbox does not \
                     allow: the clock, files, the network or the environment)"
                ),
            },
            other => format!("trapped: {other}"),
        }
    } else {
        format!("failed: {e:#}")
    };
    match panic {
        Some(p) => format!(
            "{cause}: {}",
            p.message.split_whitespace().collect::<Vec<_>>().join(" ")
        ),
        None => format!("{cause}{}", last_words(report)),
    }
}

/// What a trapped call asked the (stubbed-out) system for, read from the names of
/// the functions on its stack: Python and JavaScript plugins are built with WASI
/// replaced by traps, so `datetime.now()` ends in a trap inside `wall_clock_now`.
fn capability_asked(e: &wasmtime::Error) -> Option<&'static str> {
    let trace = e.downcast_ref::<wasmtime::WasmBacktrace>()?;
    let names: Vec<String> = trace
        .frames()
        .iter()
        .filter_map(|f| f.func_name().map(str::to_ascii_lowercase))
        .collect();
    let any = |keys: &[&str]| names.iter().any(|n| keys.iter().any(|k| n.contains(k)));
    // Names of WASI functions and of the C library's wrappers around them (as
    // Python's runtime has them), not words an author's own function might contain.
    if any(&[
        "wall_clock",
        "monotonic_clock",
        "clock_time_get",
        "__clock_gettime",
        "pytime_",
    ]) {
        Some("the time or date (a clock)")
    } else if any(&["filesystem_", "preopens", "path_open", "fd_readdir", "__wasilibc_find"]) {
        Some("files")
    } else if any(&[
        "sockets_",
        "tcp_create",
        "udp_create",
        "ip_name_lookup",
        "outgoing_handler",
    ]) {
        Some("the network")
    } else if any(&["random_get_random", "insecure_random", "random_get"]) {
        Some("randomness from the system")
    } else if any(&["get_environment", "environ_get", "get_arguments"]) {
        Some("environment variables")
    } else if any(&["stdout_get_stdout", "stderr_get_stderr", "stdin_get_stdin", "terminal_"]) {
        Some("a terminal")
    } else {
        None
    }
}

/// The plugin's last log messages (what it printed before it failed), as a
/// suffix for an error message; empty when it logged nothing.
fn last_words(report: &CallReport) -> String {
    const LAST: usize = 5;
    if report.log.is_empty() {
        return String::new();
    }
    let start = report.log.len().saturating_sub(LAST);
    let lines: Vec<String> = report.log[start..]
        .iter()
        .map(|m| format!("\n  plugin {}: {}", m.level, m.message))
        .collect();
    let head = if start > 0 {
        format!("its last {LAST} messages")
    } else {
        "what it logged".to_string()
    };
    format!("\n{head} before it stopped:{}", lines.join(""))
}

fn table_size(t: &Table) -> usize {
    let units: usize = t.units.iter().map(|u| u.len() + 8).sum();
    let numbers: usize = t.numbers.iter().map(|c| c.id.len() + 8 * c.values.len()).sum();
    let texts: usize = t
        .texts
        .iter()
        .map(|c| {
            c.id.len()
                + c.values
                    .iter()
                    .map(|v| v.as_ref().map_or(1, |s| s.len() + 8))
                    .sum::<usize>()
        })
        .sum();
    units + numbers + texts
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bundled_components_are_well_within_the_size_limits() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        for (file, at_least) in [
            ("plugins/u4ssc-python/u4ssc.component.wasm", 5_000),
            ("plugins/u4ssc-js/u4ssc.component.wasm", 500),
            ("plugins/u4ssc/u4ssc.component.wasm", 10),
        ] {
            let bytes = std::fs::read(root.join(file)).unwrap();
            let mut functions = 0u64;
            for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
                if let Ok(wasmparser::Payload::CodeSectionStart { count, .. }) = payload {
                    functions += u64::from(count);
                }
            }
            eprintln!("{file}: {} bytes, {functions} functions", bytes.len());
            assert!(
                functions >= at_least,
                "{file}: {functions} functions: nested modules not counted?"
            );
            assert!(functions * 4 < super::MAX_FUNCTIONS && bytes.len() * 3 < super::MAX_COMPONENT_BYTES);
            super::check_size(&bytes).unwrap();
        }
    }

    use super::*;

    #[test]
    fn header_check_tells_module_from_component() {
        assert!(
            check_header(b"garbage!")
                .unwrap_err()
                .to_string()
                .contains("not a WebAssembly file")
        );
        let core = [0, b'a', b's', b'm', 1, 0, 0, 0];
        assert!(
            check_header(&core)
                .unwrap_err()
                .to_string()
                .contains("core WebAssembly module")
        );
        let component = [0, b'a', b's', b'm', 0x0d, 0, 1, 0];
        assert!(check_header(&component).is_ok());
    }
}
