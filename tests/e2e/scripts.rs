//! The scripts behind `make run`, `make test` and the benchmarks find what cargo built where
//! cargo put it, also with a `CARGO_TARGET_DIR` of the user's own.

use std::path::Path;
use std::process::Command;

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

#[test]
fn the_scripts_ask_cargo_for_the_target_directory() {
    let elsewhere = tempfile::tempdir().unwrap();
    let output = Command::new("bash")
        .args([
            "-c",
            "source scripts/lib/target-dir.sh && printf %s \"$TARGET_DIR\"",
        ])
        .current_dir(workspace())
        .env("CARGO_TARGET_DIR", elsewhere.path())
        .output()
        .expect("run bash");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        elsewhere.path().to_string_lossy()
    );
}

#[test]
fn no_script_runs_a_binary_from_a_fixed_target_path() {
    for entry in std::fs::read_dir(workspace().join("scripts")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "sh") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (number, line) in text.lines().enumerate() {
            let fixed = ["target/debug/", "target/release/"].iter().any(|prefix| {
                line.split(|c: char| c.is_whitespace() || c == '=' || c == '"')
                    .any(|word| word.starts_with(prefix))
            });
            assert!(!fixed, "{}:{}: {line}", path.display(), number + 1);
        }
    }
}
