//! Embeds GraphiQL's files, at the versions `web/package-lock.json` pins, into the server.
//!
//! The files come from the npm registry through `npm ci` in `OUT_DIR`, run again only when
//! the lockfile changes, or from an existing install named by `COMMUNIQUE_GRAPHIQL_ASSETS`;
//! none of them is committed. Each gets a SHA-384 for subresource integrity. Without npm,
//! or when the install fails, the build still succeeds and `/` says how to get GraphiQL.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

use base64::Engine as _;
use sha2::{Digest, Sha384};

/// A `node_modules` directory to take the files from instead of running `npm ci`: absolute,
/// or relative to the repository root.
const ASSETS_VAR: &str = "COMMUNIQUE_GRAPHIQL_ASSETS";

/// One file the page loads, in the order it loads them.
struct Source {
    /// The name it is served under, in `/graphiql/`.
    name: &'static str,
    content_type: &'static str,
    /// The npm package it comes from, or `None` for a file of this repository.
    package: Option<&'static str>,
    /// Its path inside the package, or inside the repository.
    path: &'static str,
}

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

const SOURCES: [Source; 5] = [
    Source {
        name: "graphiql.min.css",
        content_type: CSS,
        package: Some("graphiql"),
        path: "graphiql.min.css",
    },
    Source {
        name: "react.production.min.js",
        content_type: JS,
        package: Some("react"),
        path: "umd/react.production.min.js",
    },
    Source {
        name: "react-dom.production.min.js",
        content_type: JS,
        package: Some("react-dom"),
        path: "umd/react-dom.production.min.js",
    },
    Source {
        name: "graphiql.min.js",
        content_type: JS,
        package: Some("graphiql"),
        path: "graphiql.min.js",
    },
    Source {
        name: "boot.js",
        content_type: JS,
        package: None,
        path: "src/http/graphiql/boot.js",
    },
];

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets it"));
    println!("cargo::rerun-if-changed=web/package.json");
    println!("cargo::rerun-if-changed=web/package-lock.json");
    println!("cargo::rerun-if-env-changed={ASSETS_VAR}");

    let code = match node_modules(&manifest, &out).and_then(|dir| embed(&manifest, &out, &dir)) {
        Ok(code) => code,
        Err(reason) => {
            println!(
                "cargo::warning=GraphiQL is not embedded: {reason}. The server runs; `/` says how to get GraphiQL."
            );
            // Installing Node often changes PATH; a rebuild after it then tries again.
            println!("cargo::rerun-if-env-changed=PATH");
            format!("const BUNDLE: Result<&[Asset], &str> = Err({reason:?});\n")
        }
    };
    fs::write(out.join("graphiql_assets.rs"), code).expect("writing to OUT_DIR");
}

/// The `node_modules` directory that holds the pinned packages, installed when needed.
fn node_modules(manifest: &Path, out: &Path) -> Result<PathBuf, String> {
    if let Some(dir) = env::var_os(ASSETS_VAR) {
        return Ok(manifest.join(dir));
    }
    let web = manifest.join("web");
    let lockfile = read(&web.join("package-lock.json"))?;
    let install = out.join("web");
    // A copy of the lockfile written after `npm ci` succeeded: the install is current
    // while it matches.
    let installed = install.join("installed-package-lock.json");
    if fs::read(&installed).is_ok_and(|done| done == lockfile) {
        return Ok(install.join("node_modules"));
    }
    let copy = |name: &str| {
        fs::copy(web.join(name), install.join(name))
            .map_err(|e| format!("cannot copy web/{name} to {}: {e}", install.display()))
    };
    fs::create_dir_all(&install)
        .map_err(|e| format!("cannot create {}: {e}", install.display()))?;
    let _ = fs::remove_file(&installed);
    copy("package.json")?;
    copy("package-lock.json")?;
    let log = install.join("npm-ci.log");
    let _ = fs::remove_file(&log);
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    // Only what the server embeds, no package's install scripts, and npm's cache before
    // the registry, so that a rebuild needs no network once the cache holds the lockfile.
    let output = Command::new(npm)
        .args(["ci", "--omit=dev", "--ignore-scripts", "--prefer-offline"])
        .args(["--no-audit", "--no-fund"])
        .env("NPM_CONFIG_UPDATE_NOTIFIER", "false")
        .current_dir(&install)
        .output();
    match output {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err("npm was not found on PATH".to_owned())
        }
        Err(e) => Err(format!("npm could not be started: {e}")),
        Ok(output) if !output.status.success() => {
            let _ = fs::write(&log, &output.stderr);
            let stderr = String::from_utf8_lossy(&output.stderr);
            let summary: Vec<&str> = stderr
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .take(4)
                .collect();
            Err(format!(
                "`npm ci` failed ({}): {} (all of it in {})",
                output.status,
                summary.join(" / "),
                log.display()
            ))
        }
        Ok(_) => {
            fs::write(&installed, &lockfile)
                .map_err(|e| format!("cannot write {}: {e}", installed.display()))?;
            Ok(install.join("node_modules"))
        }
    }
}

/// The generated `BUNDLE`: every file of [`SOURCES`], with its integrity and version tag.
fn embed(manifest: &Path, out: &Path, node_modules: &Path) -> Result<String, String> {
    let lock: serde_json::Value =
        serde_json::from_slice(&read(&manifest.join("web/package-lock.json"))?)
            .map_err(|e| format!("web/package-lock.json is not JSON: {e}"))?;
    let mut code = String::from("const BUNDLE: Result<&[Asset], &str> = Ok(&[\n");
    for source in &SOURCES {
        let path = match source.package {
            Some(package) => {
                check_version(&lock, node_modules, package)?;
                node_modules.join(package).join(source.path)
            }
            None => manifest.join(source.path),
        };
        // Files cargo does not own are watched; those npm wrote to OUT_DIR change only
        // with the lockfile, which is watched already.
        if !path.starts_with(out) {
            println!("cargo::rerun-if-changed={}", path.display());
        }
        let bytes = read(&path)?;
        let digest = Sha384::digest(&bytes);
        let integrity = format!(
            "sha384-{}",
            base64::engine::general_purpose::STANDARD.encode(digest)
        );
        let version: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        let path = path
            .to_str()
            .ok_or_else(|| format!("{} is not UTF-8", path.display()))?;
        writeln!(
            code,
            "    Asset {{ name: {:?}, content_type: {:?}, integrity: {integrity:?}, version: {version:?}, bytes: include_bytes!({path:?}) }},",
            source.name, source.content_type,
        )
        .map_err(|e| e.to_string())?;
    }
    code.push_str("]);\n");
    Ok(code)
}

/// Fails unless `node_modules` holds `package` at the version the lockfile pins.
fn check_version(
    lock: &serde_json::Value,
    node_modules: &Path,
    package: &str,
) -> Result<(), String> {
    let pinned = lock["packages"][format!("node_modules/{package}")]["version"]
        .as_str()
        .ok_or_else(|| format!("web/package-lock.json pins no version of {package}"))?;
    let manifest_path = node_modules.join(package).join("package.json");
    let manifest: serde_json::Value = serde_json::from_slice(&read(&manifest_path)?)
        .map_err(|e| format!("{} is not JSON: {e}", manifest_path.display()))?;
    match manifest["version"].as_str() {
        Some(found) if found == pinned => Ok(()),
        found => Err(format!(
            "{} holds {package} {}, but web/package-lock.json pins {pinned}",
            node_modules.display(),
            found.unwrap_or("of no version"),
        )),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}
