//! The name this process's workers claim outbox rows under: one that survives a restart, so a process that died
//! takes back at once what it held, and that no two live processes share, so none gives back another's rows.
//!
//! The base is `worker_id` when configured, else `<host name>:<data folder>`. A process then takes the first free
//! slot `#1`, `#2`… of that base by locking `<data_dir>/worker-locks/<name>.lock` (the operating system drops the
//! lock when the process dies, however it dies). A restarted process finds its old slot free again — the one
//! nobody else took — and with it its old name. Processes on different hosts differ by host name (or by the
//! `worker_id` each is given; in containers whose host name changes with every start, set one).

use crate::config::Config;
use anyhow::Context;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

/// How many processes may run as workers from one data folder and base name.
const MAX_SLOTS: u32 = 64;

/// A worker name, reserved while this value lives.
#[derive(Debug)]
pub struct WorkerName {
    pub name: String,
    _lock: File,
}

/// Reserves the first free worker name for this process.
pub fn reserve(config: &Config) -> anyhow::Result<WorkerName> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data_dir (CONVENE_DATA_DIR) {}", config.data_dir.display()))?;
    let base = match &config.worker_id {
        Some(id) => id.clone(),
        None => {
            let dir = config
                .data_dir
                .canonicalize()
                .with_context(|| format!("resolving data_dir {}", config.data_dir.display()))?;
            format!("{}:{}", host_name(), dir.display())
        }
    };
    let locks = config.data_dir.join("worker-locks");
    std::fs::create_dir_all(&locks).with_context(|| format!("creating {}", locks.display()))?;
    let stem = file_name(&base);
    for slot in 1..=MAX_SLOTS {
        let name = format!("{base}#{slot}");
        let path = locks.join(format!("{stem}-{slot}.lock"));
        if let Some(lock) = try_lock(&path)? {
            return Ok(WorkerName { name, _lock: lock });
        }
    }
    anyhow::bail!(
        "{MAX_SLOTS} processes already run as workers named {base}; give this one its own worker_id \
         (CONVENE_WORKER_ID)"
    )
}

/// The lock of `path` if no live process holds it.
fn try_lock(path: &Path) -> anyhow::Result<Option<File>> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("opening the worker lock {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(e).with_context(|| format!("locking {}", path.display())),
    }
}

/// The machine's host name (Linux); `localhost` when it cannot be read.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// `name` as a file name: letters, digits, `.`, `-` and `_` kept, everything else `_`, at most 180 characters.
fn file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(180)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_safe_file_names() {
        assert_eq!(file_name("web-1:/var/lib/convene"), "web-1__var_lib_convene");
        assert_eq!(file_name(&"x".repeat(500)).len(), 180);
    }
}
