//! The README's list of operations is generated from convene's own OpenAPI document (never written by hand):
//! this test fails when the two disagree and shows the list to paste, or writes it itself with
//! `CONVENE_UPDATE_README=1`.

use super::convene_document;
use super::reference::{self, Reference};
use crate::helpers::TestApp;
use std::fmt::Write;

const START: &str = "<!-- operations:start -->";
const END: &str = "<!-- operations:end -->";

/// The generated block: a count, then one line per operation, marked when Cal.com's reference has it.
fn block(document: &serde_json::Value) -> String {
    let reference = Reference::get();
    let mut ops = reference::operations(document);
    ops.sort_by(|a, b| {
        let (am, ap) = a.key.split_once(' ').unwrap_or_default();
        let (bm, bp) = b.key.split_once(' ').unwrap_or_default();
        (ap, am).cmp(&(bp, bm))
    });
    let shared = ops.iter().filter(|op| reference.find(&op.shape).is_some()).count();
    let mut out = format!(
        "{START}\n{} operations, {shared} of them Cal.com's (✓: in Cal.com's API v2 reference; the others are \
         convene's own). Generated from `/v2/openapi.json` by `CONVENE_UPDATE_README=1 cargo test -p \
         convene-server --test api readme`.\n\n",
        ops.len()
    );
    for op in &ops {
        let mark = if reference.find(&op.shape).is_some() {
            " ✓"
        } else {
            ""
        };
        let _ = writeln!(out, "- `{}`{mark}", op.key);
    }
    out.push_str(END);
    out
}

#[tokio::test]
async fn the_readme_lists_the_operations_of_the_openapi_document() {
    let app = TestApp::spawn().await;
    let expected = block(&convene_document(&app).await);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    let readme = std::fs::read_to_string(path).expect("read README.md");
    let (Some(start), Some(end)) = (readme.find(START), readme.find(END)) else {
        panic!("README.md has no {START} … {END} section");
    };
    let current = &readme[start..end + END.len()];
    if current == expected {
        return;
    }
    if std::env::var_os("CONVENE_UPDATE_README").is_some() {
        let updated = format!("{}{expected}{}", &readme[..start], &readme[end + END.len()..]);
        std::fs::write(path, updated).expect("write README.md");
        return;
    }
    panic!("README.md's operation list is out of date; run with CONVENE_UPDATE_README=1, or paste:\n\n{expected}");
}
