//! `compile_budget`: writes the two provider crates the compile-time budget
//! compares (issue: the derive must add under 0.5 s to a provider's
//! `cargo check`). Both name all 86 ops with the same functions; `derive/`
//! builds its table with `#[derive(DeviceOps)]`, `hand/` writes the same
//! table out by hand. `scripts/benchmarks.py` times `cargo check` of each.
//!
//! ```sh
//! cargo run --example compile_budget -- OUT_DIR
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::{env, fs, io};

use ibops::OPS;

/// The functions of the provider, one per op, with the op's signature.
fn functions() -> String {
    let mut out = String::from("impl Provider {\n");
    for op in &OPS {
        let _ = writeln!(
            out,
            "    pub {} {{\n        unimplemented!()\n    }}",
            op.signature
        );
    }
    out.push_str("}\n");
    out
}

fn derive_lib() -> String {
    let names: Vec<&str> = OPS.iter().map(|op| op.name).collect();
    format!(
        "#![allow(unused_variables)]\n//! All 86 ops through the derive.\nuse ibops::prelude::*;\n\n\
         #[derive(DeviceOps)]\n#[device_ops(mandatory, driver_id = DriverId::Soft)]\n#[device_ops({})]\n\
         pub struct Provider;\n\n{}\n\
         /// The table.\npub const OPS: IbDeviceOps = <Provider as ProvideOps>::OPS;\n",
        names.join(", "),
        functions()
    )
}

fn hand_lib() -> String {
    let mut table = String::new();
    for op in &OPS {
        let _ = writeln!(table, "    t.{0} = Some(Provider::{0});", op.name);
    }
    format!(
        "#![allow(unused_variables)]\n//! All 86 ops in a table written by hand.\nuse ibops::prelude::*;\n\n\
         pub struct Provider;\n\n{}\n\
         /// The table.\npub const OPS: IbDeviceOps = {{\n    let mut t = IbDeviceOps::EMPTY;\n{table}    \
         t.driver_id = DriverId::Soft;\n    t\n}};\n",
        functions()
    )
}

fn write_crate(dir: &Path, name: &str, runtime: &Path, lib: &str) -> io::Result<()> {
    fs::create_dir_all(dir.join("src"))?;
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nibops = {{ path = {:?} }}\n\n[workspace]\n",
        runtime.display()
    );
    fs::write(dir.join("Cargo.toml"), manifest)?;
    fs::write(dir.join("src/lib.rs"), lib)
}

fn main() -> ExitCode {
    let Some(out) = env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: compile_budget OUT_DIR");
        return ExitCode::from(2);
    };
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../runtime");
    let runtime = runtime.canonicalize().unwrap_or(runtime);
    let result = write_crate(
        &out.join("derive"),
        "budget-derive",
        &runtime,
        &derive_lib(),
    )
    .and_then(|()| write_crate(&out.join("hand"), "budget-hand", &runtime, &hand_lib()));
    match result {
        Ok(()) => {
            println!("wrote {0}/derive and {0}/hand", out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("compile_budget: {}: {e}", out.display());
            ExitCode::FAILURE
        }
    }
}
