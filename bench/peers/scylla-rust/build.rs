// Reads the resolved scylla version from Cargo.lock so the JSON row states the driver version that ran.
use std::fs;

fn main() {
    println!("cargo:rerun-if-changed=Cargo.lock");
    let lock = fs::read_to_string("Cargo.lock").unwrap_or_default();
    let mut version = String::from("unknown");
    let mut in_scylla = false;
    for line in lock.lines() {
        if line == "name = \"scylla\"" {
            in_scylla = true;
        } else if in_scylla && line.starts_with("version = ") {
            version = line.trim_start_matches("version = ").trim_matches('"').to_string();
            break;
        } else if line.starts_with("[[package]]") {
            in_scylla = false;
        }
    }
    println!("cargo:rustc-env=SCYLLA_CRATE_VERSION={version}");
}
