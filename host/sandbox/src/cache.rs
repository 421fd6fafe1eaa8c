//! The compile cache: native code of compiled components, on disk.
//!
//! Native code is loaded without being validated again, so an entry is used only
//! when nobody but this user could have written it and it is whole:
//! - the directory belongs to the user running cityrank and no one else can write
//!   to it (else the cache is not used at all, and the sandbox says why);
//! - an entry is a regular file (not a link: it is opened without following one,
//!   and the opened file is what is checked and read), belongs to the user and no
//!   one else can write to it, in a directory that is still the user's own;
//! - an entry ends with the SHA-256 of its name and content and a marker, checked
//!   before the content is handed to the engine: a truncated or damaged entry, or
//!   one renamed to another component's name, is recompiled and rewritten, never
//!   loaded.
//!
//! Entries are written to a temporary file (mode `0600`) and renamed into place;
//! a directory cityrank creates is `0700`. The ownership and permission checks are
//! those of Unix; elsewhere only the checksum is checked.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The marker that ends an entry (after its content's SHA-256): the format's
/// version, so that entries of another format are recompiled.
const MARKER: &[u8; 8] = b"crcache1";

/// The trailer of an entry: SHA-256 (32 bytes) and [`MARKER`].
const TRAILER: usize = 32 + MARKER.len();

/// Why the directory `dir` cannot hold a trusted cache, if it cannot: someone else
/// owns it or may write to it. A directory that does not exist yet is fine (it is
/// created private when the first entry is written).
pub(crate) fn untrusted_dir(dir: &Path) -> Option<String> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            return Some(format!(
                "cannot read the compile cache directory {}: {e}",
                dir.display()
            ));
        }
    };
    if meta.file_type().is_symlink() {
        // A link is followed only if what it points to passes the same checks.
        return match std::fs::metadata(dir) {
            Ok(m) if m.is_dir() => foreign(&m, dir, "directory"),
            _ => Some(format!(
                "the compile cache {} is a link to no directory; remove it, or set CITYRANK_CACHE_DIR to a directory \
                 of your own",
                dir.display()
            )),
        };
    }
    if !meta.is_dir() {
        return Some(format!(
            "the compile cache {} is not a directory; remove it, or set CITYRANK_CACHE_DIR to a directory of your own",
            dir.display()
        ));
    }
    foreign(&meta, dir, "directory")
}

/// The verified content of the entry `file`, or why it is not used (`Err`):
/// missing, not a regular file, another owner, writable by others, cut short or
/// damaged.
pub(crate) fn read(file: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    if let Some(why) = file.parent().and_then(untrusted_dir) {
        return Err(why);
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // A link is not followed: the file opened is the entry itself.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    let mut handle = options.open(file).map_err(|e| {
        if is_link(&e) {
            "not a regular file".to_string()
        } else {
            e.to_string()
        }
    })?;
    let meta = handle.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if let Some(why) = foreign(&meta, file, "entry") {
        return Err(why);
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    handle.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() < TRAILER || &bytes[bytes.len() - MARKER.len()..] != MARKER {
        return Err("cut short, or not written by this cityrank".into());
    }
    let body = bytes.len() - TRAILER;
    if checksum(file, &bytes[..body]).as_slice() != &bytes[body..body + 32] {
        return Err("damaged (its checksum does not match)".into());
    }
    bytes.truncate(body);
    Ok(bytes)
}

/// The checksum of an entry: SHA-256 of its file name (the component's SHA-256
/// and the engine's key) and its content, so that an entry is valid only under
/// its own name.
fn checksum(file: &Path, content: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    h.update((name.len() as u64).to_le_bytes());
    h.update(name.as_bytes());
    h.update(content);
    h.finalize().into()
}

/// Writes `content` as the entry `file` (its directory created private if
/// needed): to a temporary file of mode `0600`, then renamed into place.
pub(crate) fn write(file: &Path, content: &[u8]) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let temp = temporary_name(file);
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut out = options.open(&temp)?;
        out.write_all(content)?;
        out.write_all(&checksum(file, content))?;
        out.write_all(MARKER)?;
        out.sync_all()?;
        std::fs::rename(&temp, file)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// A temporary name beside `file`, unique to this process and call.
fn temporary_name(file: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.{n}.tmp", std::process::id()));
    file.with_file_name(name)
}

/// Creates `dir` and its missing parents; the directory itself with mode `0700`.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

/// Whether opening failed because the path is a symbolic link (not followed).
#[cfg(unix)]
fn is_link(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error())
}

#[cfg(not(unix))]
fn is_link(_: &std::io::Error) -> bool {
    false
}

/// Why `meta` (of `path`, a cache "directory" or "entry") is not trusted: owned
/// by another user, or writable by its group or by everyone.
#[cfg(unix)]
fn foreign(meta: &std::fs::Metadata, path: &Path, what: &str) -> Option<String> {
    use std::os::unix::fs::MetadataExt as _;
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Some(format!(
            "the compile cache {what} {} belongs to user {}, not to the user running cityrank ({me}); set \
             CITYRANK_CACHE_DIR to a directory of your own (or pass --no-cache)",
            path.display(),
            meta.uid()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Some(format!(
            "the compile cache {what} {} can be written by others (mode {:o}); make it private: chmod go-w {}",
            path.display(),
            meta.mode() & 0o7777,
            path.display()
        ));
    }
    None
}

#[cfg(not(unix))]
fn foreign(_: &std::fs::Metadata, _: &Path, _: &str) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_entry_is_read_back_only_whole() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cache").join("x.cwasm");
        write(&file, b"native code").unwrap();
        assert_eq!(read(&file).unwrap(), b"native code");
        let bytes = std::fs::read(&file).unwrap();
        assert_eq!(bytes.len(), 11 + TRAILER);
        // Cut short: the marker is gone.
        std::fs::write(&file, &bytes[..bytes.len() - 1]).unwrap();
        assert!(read(&file).unwrap_err().contains("cut short"));
        // One bit flipped in the content.
        let mut flipped = bytes.clone();
        flipped[3] ^= 0x10;
        std::fs::write(&file, &flipped).unwrap();
        assert!(read(&file).unwrap_err().contains("checksum"));
        // A whole entry under another entry's name.
        let other = file.with_file_name("y.cwasm");
        std::fs::write(&other, &bytes).unwrap();
        assert!(read(&other).unwrap_err().contains("checksum"));
    }

    #[cfg(unix)]
    #[test]
    fn entries_and_directories_others_can_write_are_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let file = cache.join("x.cwasm");
        write(&file, b"native code").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&cache), mode(&file)), (0o700, 0o600));
        assert_eq!(untrusted_dir(&cache), None);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(read(&file).unwrap_err().contains("can be written by others (mode 666)"));
        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(untrusted_dir(&cache).unwrap().contains("chmod go-w"));
        // Nor is an entry in such a directory, however private the entry.
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(read(&file).unwrap_err().contains("can be written by others (mode 777)"));
        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(read(&file).unwrap(), b"native code");
        // A link to an entry is not an entry.
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let link = cache.join("y.cwasm");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(read(&link).unwrap_err(), "not a regular file");
        // Another user's entry (only root can make one here).
        if rustix::process::geteuid().is_root() {
            std::os::unix::fs::chown(&file, Some(12345), None).unwrap();
            assert!(
                read(&file).unwrap_err().contains("belongs to user 12345"),
                "{:?}",
                read(&file)
            );
        }
    }
}
