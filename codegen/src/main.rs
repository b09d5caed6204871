//! The `ibops-codegen` command line: `generate` writes the generated files,
//! `check` fails when they are stale, `emit-c` writes the C header and
//! source, `import-c` turns a C struct into an `ops.toml` skeleton, `diff`
//! tells what changed between two schemas and `check-c` audits a
//! hand-written `ib_set_device_ops()`.
//!
//! It works anywhere: the schema is `--schema`, else the `ops.toml` of the
//! workspace around the current directory (searched upward), else, for the
//! commands that only read a schema, today's linux-next one built into the
//! binary. Each command says on standard error which schema it uses.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Arg, ArgMatches, Command, value_parser};
use ibops_codegen::SchemaSource;

fn path_arg(name: &'static str, value_name: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .value_name(value_name)
        .value_parser(value_parser!(PathBuf))
        .help(help)
}

fn cli() -> Command {
    let schema = path_arg(
        "schema",
        "FILE",
        "The schema (default: the workspace's ops.toml, searched upward; outside a workspace, the built-in linux-next one)",
    )
    .long("schema");
    let root = path_arg(
        "root",
        "DIR",
        "Where relative paths and the generated files start (default: the workspace around the current directory)",
    )
    .long("root");
    Command::new("ibops-codegen")
        .about("Generates the ibops device-ops plumbing from ops.toml, and audits C against it")
        .version(env!("CARGO_PKG_VERSION"))
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Command::new("generate")
                .about("Write every generated file (only if the whole schema is valid)")
                .args([schema.clone(), root.clone()]),
        )
        .subcommand(
            Command::new("check")
                .about("Exit 1, naming each stale generated file with a diff, unless all are fresh")
                .args([schema.clone(), root.clone()]),
        )
        .subcommand(
            Command::new("emit-c")
                .about("Write the C header and the merge function's source (as [target.c] names them) into a directory")
                .args([schema.clone(), root.clone()])
                .arg(
                    path_arg("out", "DIR", "The output directory")
                        .long("out")
                        .required(true),
                ),
        )
        .subcommand(
            Command::new("diff")
                .about("What changed between two schemas; exit 1 when a change breaks providers")
                .arg(path_arg("old", "OLD", "The old schema").required(true))
                .arg(path_arg(
                    "new",
                    "NEW",
                    "The new schema (default: as --schema's default)",
                ))
                .args([schema.clone(), root.clone()])
                .arg(json_flag()),
        )
        .subcommand(
            Command::new("check-c")
                .about("Audit a hand-written merge function (and dummy table, and a struct) against the schema")
                .arg(
                    path_arg("device_c", "DEVICE_C", "The C text with the function").required(true),
                )
                .arg(
                    path_arg(
                        "struct_header",
                        "HEADER",
                        "Also compare the struct this header declares",
                    )
                    .long("struct-header"),
                )
                .args([schema.clone(), root.clone()]),
        )
        .subcommand(
            Command::new("coverage")
                .about("Which provider implements which op: C drivers' tables and Rust providers' derived tables")
                .arg(
                    Arg::new("providers")
                        .value_name("[NAME=]SOURCE")
                        .num_args(1..)
                        .required(true)
                        .help("A C file with initializers of the schema's struct, a directory of providers (one per subdirectory, as rdma-core's providers/), or a Rust file with derived tables"),
                )
                .arg(json_flag())
                .arg(
                    Arg::new("html")
                        .long("html")
                        .action(clap::ArgAction::SetTrue)
                        .conflicts_with("json")
                        .help("Print one static, sortable HTML page"),
                )
                .args([schema.clone(), root.clone()]),
        )
        .subcommand(
            Command::new("import-c")
                .about(
                    "Print an ops.toml skeleton for `struct NAME` found in a C header (or a patch)",
                )
                .arg(path_arg("header", "HEADER", "The C text to read").required(true))
                .arg(
                    Arg::new("struct")
                        .long("struct")
                        .value_name("NAME")
                        .help("The struct to import (default: the schema's, e.g. ib_device_ops)"),
                )
                .arg(path_arg("out", "FILE", "Write the skeleton here instead").long("out"))
                .arg(
                    path_arg(
                        "merge_into",
                        "SCHEMA",
                        "Print only what this schema lacks or declares differently, keeping its Rust signatures, docs and groups",
                    )
                    .long("merge-into")
                    .conflicts_with("struct"),
                )
                .args([schema.clone(), root.clone()]),
        )
}

/// Writes `text` to standard output; a reader that went away (`| head`)
/// ends the output quietly instead of a panic.
fn print_out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("ibops-codegen: writing the output failed: {e}");
    }
}

/// `NAME=PATH`, or a path named after its file stem.
fn provider_source(arg: &str) -> (String, PathBuf) {
    match arg.split_once('=') {
        Some((name, path)) => (name.to_owned(), PathBuf::from(path)),
        None => {
            let path = PathBuf::from(arg);
            let name = path
                .file_stem()
                .map_or_else(|| arg.to_owned(), |s| s.to_string_lossy().into_owned());
            (name, path)
        }
    }
}

fn json_flag() -> Arg {
    Arg::new("json")
        .long("json")
        .action(clap::ArgAction::SetTrue)
        .help("Print JSON instead of text")
}

fn path(args: &ArgMatches, name: &str) -> PathBuf {
    args.get_one::<PathBuf>(name).cloned().unwrap_or_default()
}

fn print_outcomes(outcomes: &[ibops_codegen::FileOutcome]) -> ExitCode {
    for outcome in outcomes {
        print_out(&format!("{outcome}\n"));
    }
    ExitCode::SUCCESS
}

/// Where relative paths start: `--root`, else the current directory.
fn base(args: &ArgMatches) -> PathBuf {
    args.get_one::<PathBuf>("root")
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The schema a command reads: `--schema` (relative to `--root`); else
/// `--root`'s `ops.toml`, or without `--root` the one of the workspace
/// around the current directory (searched upward); else, when `builtin`
/// allows it, the built-in one.
///
/// # Errors
/// No workspace and no built-in fallback.
fn schema_source(args: &ArgMatches, builtin: bool) -> Result<SchemaSource, ibops_codegen::Error> {
    if let Some(path) = args.get_one::<PathBuf>("schema") {
        return Ok(named_schema(args, path));
    }
    let start = std::path::absolute(base(args)).unwrap_or_else(|_| base(args));
    // An explicit --root is the workspace: no search above it.
    let found = match args.get_one::<PathBuf>("root") {
        Some(root) => SchemaSource::in_dir(root),
        None => SchemaSource::find_upward(&start),
    };
    match found {
        Some(found) => Ok(found),
        None if builtin => Ok(SchemaSource::Builtin),
        None => Err(ibops_codegen::Error::NoWorkspace(start)),
    }
}

/// Where `generate` and `check` put the generated files: `--root`, else
/// the workspace the schema was found in, else the current directory.
fn output_root(args: &ArgMatches, source: &SchemaSource) -> PathBuf {
    match (args.get_one::<PathBuf>("root"), source.root()) {
        (Some(root), _) => root.clone(),
        (None, Some(root)) if args.get_one::<PathBuf>("schema").is_none() => root.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Loads `source`, saying which schema it is, and prints its warnings on
/// standard error.
///
/// # Errors
/// The schema cannot be read or is invalid.
fn load(source: &SchemaSource) -> Result<ibops_codegen::Schema, ibops_codegen::Error> {
    eprintln!("schema: {source}");
    let schema = source.load()?;
    for warning in &schema.warnings {
        eprintln!("{warning}");
    }
    Ok(schema)
}

/// The schema of a command that only reads one (built-in fallback).
fn reading_schema(args: &ArgMatches) -> Result<ibops_codegen::Schema, ibops_codegen::Error> {
    load(&schema_source(args, true)?)
}

/// A schema named on the command line, relative to `--root`.
fn named_schema(args: &ArgMatches, path: &Path) -> SchemaSource {
    SchemaSource::File {
        root: base(args),
        path: path.to_owned(),
    }
}

fn run(matches: &ArgMatches) -> Result<ExitCode, ibops_codegen::Error> {
    let Some((command, args)) = matches.subcommand() else {
        return Ok(ExitCode::from(2));
    };
    match command {
        "generate" => {
            let source = schema_source(args, false)?;
            let schema = load(&source)?;
            ibops_codegen::generate_from(&output_root(args, &source), &schema)
                .map(|outcomes| print_outcomes(&outcomes))
        }
        "emit-c" => ibops_codegen::generate_c_from(&reading_schema(args)?, &path(args, "out"))
            .map(|outcomes| print_outcomes(&outcomes)),
        "import-c" => {
            let out = args.get_one::<PathBuf>("out").map(PathBuf::as_path);
            let header = path(args, "header");
            let skeleton = match (
                args.get_one::<PathBuf>("merge_into"),
                args.get_one::<String>("struct"),
            ) {
                (Some(existing), _) => {
                    let existing = load(&named_schema(args, existing))?;
                    ibops_codegen::import_c_into(&header, &existing, out)?
                }
                (None, Some(name)) => ibops_codegen::import_c(&header, name, out)?,
                (None, None) => {
                    let name = reading_schema(args)?.struct_name;
                    ibops_codegen::import_c(&header, &name, out)?
                }
            };
            if out.is_none() {
                print_out(&skeleton);
            }
            Ok(ExitCode::SUCCESS)
        }
        "diff" => {
            let old_path = path(args, "old");
            // NEW is reported under the path given, or as the schema used.
            let (new_name, new) = match args.get_one::<PathBuf>("new") {
                Some(new) => (new.display().to_string(), named_schema(args, new)),
                None => {
                    let source = schema_source(args, true)?;
                    (source.to_string(), source)
                }
            };
            let old = named_schema(args, &old_path);
            let diff = ibops_codegen::diff::diff(
                &old_path.display().to_string(),
                &old.load()?,
                &new_name,
                &load(&new)?,
            );
            if args.get_flag("json") {
                print_out(&format!("{}\n", diff.to_json()));
            } else {
                print_out(&format!("{diff}\n"));
            }
            Ok(if diff.is_breaking() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        "coverage" => {
            let sources: Vec<(String, PathBuf)> = args
                .get_many::<String>("providers")
                .into_iter()
                .flatten()
                .map(|arg| provider_source(arg))
                .collect();
            let coverage = ibops_codegen::coverage_from(&reading_schema(args)?, &sources)?;
            if args.get_flag("json") {
                print_out(&format!("{}\n", coverage.to_json()));
            } else if args.get_flag("html") {
                print_out(&coverage.to_html());
            } else {
                print_out(&coverage.to_string());
            }
            Ok(ExitCode::SUCCESS)
        }
        "check-c" => {
            let header = args.get_one::<PathBuf>("struct_header");
            let reports = ibops_codegen::check_c_from(
                &reading_schema(args)?,
                &path(args, "device_c"),
                header.map(PathBuf::as_path),
            )?;
            let mut errors = 0;
            for report in &reports {
                print_out(&format!("{report}\n"));
                errors += report.count(ibops_codegen::c::check::Severity::Error);
            }
            Ok(if errors > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        "check" => {
            let source = schema_source(args, false)?;
            let schema = load(&source)?;
            let stale = ibops_codegen::check_from(&output_root(args, &source), &schema)?;
            if stale.is_empty() {
                print_out("all generated files are up to date\n");
                return Ok(ExitCode::SUCCESS);
            }
            for file in &stale {
                eprintln!("stale: {}\n{}", file.path.display(), file.diff);
            }
            eprintln!(
                "error: {} generated file{} stale\nhint: run `{}`",
                stale.len(),
                if stale.len() == 1 { " is" } else { "s are" },
                ibops_codegen::emit::GENERATE_COMMAND
            );
            Ok(ExitCode::FAILURE)
        }
        _ => Ok(ExitCode::from(2)),
    }
}

fn main() -> ExitCode {
    run(&cli().get_matches()).unwrap_or_else(|e| {
        // Every line through the one shared function: an error quoting
        // input (a file name, a line of C) cannot drive the terminal.
        for line in e.to_string().lines() {
            eprintln!("{}", ibops_codegen::diagnostic::printable(line));
        }
        ExitCode::from(2)
    })
}
