//! npm packages the browser tests load into pages (axe-core, Cal.com's embed snippet), installed once into
//! `target/npm` from the npm registry. A missing `npm` fails the test that needs it, loudly.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

/// The folder of `package` (e.g. `axe-core`) at `version`, installing it when absent.
pub fn package(package: &str, version: &str) -> PathBuf {
    static INSTALL: Mutex<()> = Mutex::new(());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/npm");
    let dir = root.join("node_modules").join(package);
    let _one_at_a_time = INSTALL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !dir.join("package.json").exists() {
        std::fs::create_dir_all(&root).expect("target/npm");
        let status = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&root)
            .arg(format!("{package}@{version}"))
            .status()
            .expect("the browser tests need npm (apt-get install npm) to fetch their page scripts");
        assert!(status.success(), "npm install {package}@{version} failed");
    }
    dir
}
