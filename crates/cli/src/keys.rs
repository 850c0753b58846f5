//! The encryption keyring for stored secrets: from `encryption_keys`, or — for a local SQLite database only —
//! from a key file in `data_dir`, generated on first start.

use crate::config::Config;
use anyhow::{Context, bail};
use convene_keyring::{Keyring, NamedKey};
use secrecy::ExposeSecret;
use std::io::Write;
use std::path::Path;

/// The key file's name inside `data_dir`.
pub const KEY_FILE: &str = "encryption-key";

/// The keyring `serve` uses. Configured keys win. Without them, PostgreSQL is refused (processes sharing the
/// database must share keys, so each generating its own would make secrets unreadable to the others), and a
/// local SQLite database gets the key in `data_dir/encryption-key`, generated once.
pub fn load(config: &Config) -> anyhow::Result<Keyring> {
    if !config.encryption_keys.is_empty() {
        let entries: Vec<&str> = config.encryption_keys.iter().map(ExposeSecret::expose_secret).collect();
        return Keyring::from_config(&entries)
            .map_err(|e| anyhow::anyhow!("encryption_keys (CONVENE_ENCRYPTION_KEYS): {e}"));
    }
    if config.uses_postgres() {
        bail!(
            "encryption_keys (CONVENE_ENCRYPTION_KEYS) must be set when the database is PostgreSQL: every process \
             sharing the database needs the same keys. Create one with `convene keys generate`."
        );
    }
    let path = config.data_dir.join(KEY_FILE);
    let (keyring, created) = local_key(&path)?;
    if created {
        eprintln!(
            "\n=== convene: generated an encryption key for stored secrets ===\n  file: {}\n  Back it up with the \
             database: without it, stored webhook secrets cannot be read.\n  To move to PostgreSQL or share it, set \
             CONVENE_ENCRYPTION_KEYS to the file's contents.\n",
            path.display()
        );
    }
    Ok(keyring)
}

/// A fresh key in configuration form, for `convene keys generate`.
pub fn generate_entry() -> String {
    NamedKey::generate().to_config_entry().expose_secret().to_owned()
}

/// Reads the key file at `path`, or creates it (readable by the owner only); the flag says it was created.
pub fn local_key(path: &Path) -> anyhow::Result<(Keyring, bool)> {
    match std::fs::read_to_string(path) {
        Ok(text) => return Ok((parse_key_file(path, &text)?, false)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading the encryption key {}", path.display())),
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating data_dir (CONVENE_DATA_DIR) {}", dir.display()))?;
    let key = NamedKey::generate();
    let entry = key.to_config_entry();
    // Write a private temporary file, then link it into place: the link fails if another process won the race,
    // and nobody ever reads a half-written key.
    let temp = dir.join(format!(".{KEY_FILE}.{}", std::process::id()));
    write_private(&temp, entry.expose_secret())?;
    let linked = std::fs::hard_link(&temp, path);
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => Ok((Keyring::new(vec![key])?, true)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the encryption key {}", path.display()))?;
            Ok((parse_key_file(path, &text)?, false))
        }
        Err(e) => Err(e).with_context(|| format!("writing the encryption key {}", path.display())),
    }
}

fn parse_key_file(path: &Path, text: &str) -> anyhow::Result<Keyring> {
    warn_if_readable_by_others(path);
    let entries: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    Keyring::from_config(&entries).with_context(|| format!("the encryption key file {}", path.display()))
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    writeln!(file, "{contents}").with_context(|| format!("writing {}", path.display()))?;
    file.sync_all().with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(file = %path.display(), "the encryption key file is accessible to other users; chmod 600 it");
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;
    use convene_keyring::Binding;

    const SECRET: Binding<'static> = Binding {
        scope: "test",
        owner: "1",
        field: "secret",
    };

    #[test]
    fn the_key_file_is_created_private_once_and_reused() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("nested").join(KEY_FILE);
        let (first, created) = local_key(&path).expect("created");
        assert!(created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("file").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        let sealed = first.seal(SECRET, "hunter2").expect("seal");

        let (again, created) = local_key(&path).expect("reused");
        assert!(!created, "a second start reuses the file");
        assert_eq!(
            again.open(SECRET, &sealed).expect("same key").expose_secret(),
            "hunter2"
        );
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().expect("dir")).expect("list").collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn a_damaged_key_file_stops_the_start_naming_the_file() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join(KEY_FILE);
        std::fs::write(&path, "not a key\n").expect("write");
        let err = local_key(&path).expect_err("refused");
        assert!(format!("{err:#}").contains(KEY_FILE), "{err:#}");
    }

    #[test]
    fn generated_entries_load_as_a_keyring() {
        let entry = generate_entry();
        assert!(
            entry
                .split_once(':')
                .is_some_and(|(kid, key)| !kid.is_empty() && key.len() == 44),
            "{entry}"
        );
        assert!(Keyring::from_config(&[entry]).is_ok());
    }
}
